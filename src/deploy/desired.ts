import type { State } from '../state/index.js';

/**
 * The parts of an app's desired state that are not its release and formation: whether it
 * was stopped (ps:stop), until when its old containers are draining after a swap, and what
 * the reconciler last found. Stored as `ps.*` properties, with the app.
 */
const STOPPED = 'ps.stopped';
const RETIRING_UNTIL = 'ps.retiring-until';
const DRIFT = 'ps.drift';
const SLEEPING = 'ps.sleeping';
const TRYING = 'ps.trying';

/**
 * Properties that say how things were when last seen, not what the app is: a clone starts
 * without them (and awake: it has no containers to be asleep in).
 */
export const OBSERVED_PROPERTIES = [RETIRING_UNTIL, DRIFT, SLEEPING, TRYING];

export function markStopped(state: State, app: string, stopped: boolean): void {
  state.properties.set(app, STOPPED, stopped ? 'true' : undefined);
}

export function isStopped(state: State, app: string): boolean {
  return state.properties.get(app, STOPPED) === 'true';
}

/**
 * Asleep after sleep-after without a request: its containers are gone, its release and
 * formation kept, and its domains hold a request while it is woken (deploy/sleep.ts).
 */
export function markSleeping(state: State, app: string, sleeping: boolean): void {
  state.properties.set(app, SLEEPING, sleeping ? 'true' : undefined);
}

export function isSleeping(state: State, app: string): boolean {
  return state.properties.get(app, SLEEPING) === 'true';
}

/** How long after its stop timeout a retired container's end still counts as by design. */
export const RETIRE_MARGIN_MS = 10_000;

/**
 * These containers go by design (after a drain, a stop): their ends are no crash, and the
 * reconciler leaves them be until then. Added to those still marked, so a deploy draining
 * its old release and the reconciler retiring strays never unmark each other's.
 */
export function markRetiring(state: State, app: string, ids: string[], untilMs: number, now = Date.now()): void {
  const stored = readRetiring(state, app);
  const still = stored && stored.until > now ? stored : { until: 0, ids: [] };
  const all = [...new Set([...still.ids, ...ids])];
  state.properties.set(app, RETIRING_UNTIL, JSON.stringify({ until: Math.max(still.until, untilMs), ids: all }));
}

/** The containers a deploy is retiring now (after their drain). */
export function retiringNow(state: State, app: string, now = Date.now()): Set<string> {
  const retiring = readRetiring(state, app);
  return new Set(retiring && retiring.until > now ? retiring.ids : []);
}

function readRetiring(state: State, app: string): { until: number; ids: string[] } | undefined {
  const stored = state.properties.get(app, RETIRING_UNTIL);
  return stored ? (JSON.parse(stored) as { until: number; ids: string[] }) : undefined;
}

/**
 * A deploy is trying new containers: until then, any container of the app but those that
 * ran before (`before`) is the deploy's own, and its end is told as the deploy's failure,
 * not as a crash. The scheduler discards a container that fails its checks before the
 * deploy knows its id, so the deploy names what it keeps instead. No `untilMs`: it ended.
 */
export function markTrying(state: State, app: string, before: string[], untilMs?: number): void {
  state.properties.set(app, TRYING, untilMs === undefined ? undefined : JSON.stringify({ until: untilMs, before }));
}

/** Whether a deploy left its mark on the app (it may have ended, or died with its daemon). */
export function isMarkedTrying(state: State, app: string): boolean {
  return state.properties.get(app, TRYING) !== undefined;
}

/** Whether this container is one a deploy tries (or tried and threw away) now. */
export function isTried(state: State, app: string, id: string, now = Date.now()): boolean {
  const stored = state.properties.get(app, TRYING);
  const trying = stored ? (JSON.parse(stored) as { until: number; before: string[] }) : undefined;
  return trying !== undefined && trying.until > now && !trying.before.includes(id);
}

/** How many of the latest findings `ps:report` shows. */
const DRIFT_KEPT = 5;

/**
 * Notes what the reconciler found off and did, with when, kept with the few before it.
 * A pass that finds nothing leaves no trace here (the daemon log has every pass): what an
 * operator reads of an app changes only when something happened to it.
 */
export function recordDrift(state: State, app: string, found: string[], at = Date.now()): void {
  if (found.length === 0) return;
  const earlier = (JSON.parse(state.properties.get(app, DRIFT) ?? '[]') as string[]).slice(0, DRIFT_KEPT - 1);
  state.properties.set(app, DRIFT, JSON.stringify([`${new Date(at).toISOString()} ${found.join('; ')}`, ...earlier]));
}

/** What the reconciler found off lately, newest first. */
export function recentDrift(state: State, app: string): string {
  const drift = JSON.parse(state.properties.get(app, DRIFT) ?? '[]') as string[];
  return drift.length ? drift.join(' | ') : 'none';
}
