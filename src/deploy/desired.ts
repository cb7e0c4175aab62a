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

/**
 * Properties that say how things were when last seen, not what the app is: a clone starts
 * without them (and awake: it has no containers to be asleep in).
 */
export const OBSERVED_PROPERTIES = [RETIRING_UNTIL, DRIFT, SLEEPING];

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

/** These containers keep serving until then, and a deploy retires them: nobody else need. */
export function markRetiring(state: State, app: string, ids: string[], untilMs: number): void {
  state.properties.set(app, RETIRING_UNTIL, JSON.stringify({ until: untilMs, ids }));
}

/** The containers a deploy is retiring now (after their drain). */
export function retiringNow(state: State, app: string, now = Date.now()): Set<string> {
  const stored = state.properties.get(app, RETIRING_UNTIL);
  const retiring = stored ? (JSON.parse(stored) as { until: number; ids: string[] }) : undefined;
  return new Set(retiring && retiring.until > now ? retiring.ids : []);
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
