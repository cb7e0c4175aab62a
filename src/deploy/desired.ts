import type { State } from '../state/index.js';

/**
 * The parts of an app's desired state that are not its release and formation: whether it
 * was stopped (ps:stop), until when its old containers are draining after a swap, and what
 * the reconciler last found. Stored as `ps.*` properties, with the app.
 */
const STOPPED = 'ps.stopped';
const RETIRING_UNTIL = 'ps.retiring-until';
const RECONCILED_AT = 'ps.reconciled-at';
const DRIFT = 'ps.drift';

/** Properties that say how things were when last seen, not what the app is: a clone starts without them. */
export const OBSERVED_PROPERTIES = [RETIRING_UNTIL, RECONCILED_AT, DRIFT];

export function markStopped(state: State, app: string, stopped: boolean): void {
  state.properties.set(app, STOPPED, stopped ? 'true' : undefined);
}

export function isStopped(state: State, app: string): boolean {
  return state.properties.get(app, STOPPED) === 'true';
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

/** Notes a pass of the reconciler, and what it found off (kept with the few before it). */
export function recordReconcile(state: State, app: string, found: string[], at = Date.now()): void {
  const stamp = new Date(at).toISOString();
  state.properties.set(app, RECONCILED_AT, stamp);
  if (found.length === 0) return;
  const earlier = (JSON.parse(state.properties.get(app, DRIFT) ?? '[]') as string[]).slice(0, DRIFT_KEPT - 1);
  state.properties.set(app, DRIFT, JSON.stringify([`${stamp} ${found.join('; ')}`, ...earlier]));
}

/** When the reconciler last looked at the app, and what it found off lately, newest first. */
export function lastReconcile(state: State, app: string): { at: string; drift: string } {
  const drift = JSON.parse(state.properties.get(app, DRIFT) ?? '[]') as string[];
  return { at: state.properties.get(app, RECONCILED_AT) ?? '', drift: drift.length ? drift.join(' | ') : 'none' };
}
