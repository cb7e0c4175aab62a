import { EXIT_APP_MISSING, UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import { LockTimeout, oneOffsLockName } from '../queue/locks.js';
import type { Instance } from '../runtime/scheduler.js';

/** `run:set <app> max-one-offs <N>`: the app's own cap; SLIPWAY_MAX_ONE_OFFS otherwise. */
const MAX_ONE_OFFS = 'run.max-one-offs';
const MAX_SETTING = 100;
/** How long a start waits for the app's other starts (each holds the lock until its container runs), a stop, a destroy or a rename. */
const LOCK_WAIT_MS = 60_000;

/** A one-off that was not started, and why: `run` fails with it, the cron clock logs it. */
export class OneOffRefused extends UserError {}

/** The most one-off containers the app runs at once. */
export function maxOneOffs(platform: Platform, app: string): number {
  const own = platform.state.properties.get(app, MAX_ONE_OFFS);
  return own === undefined ? platform.settings.maxOneOffs : Number(own);
}

/** `run:set <app> max-one-offs <N>`; no value: back to SLIPWAY_MAX_ONE_OFFS. */
export function setMaxOneOffs(platform: Platform, app: string, value: string | undefined): void {
  if (value !== undefined && (!/^\d{1,3}$/.test(value) || Number(value) > MAX_SETTING)) {
    throw new UserError(`Invalid max-one-offs: give a number from 0 to ${MAX_SETTING}`);
  }
  platform.state.properties.set(app, MAX_ONE_OFFS, value === undefined ? undefined : String(Number(value)));
}

export interface OneOffStart<T> {
  /**
   * Before the running ones are counted, with the app's one-offs (running or exited): may
   * refuse (throw OneOffRefused) or stop some, and returns those still there.
   */
  prepare?(oneOffs: Instance[]): Promise<Instance[]>;
  /** Starts the container and calls `started` once it runs, or returns then (run:detached). */
  start(started: () => void): Promise<T>;
}

/**
 * Starts a one-off of the app (run, run:detached, a cron run) unless the app already runs
 * its most at once. Starts of one app go one at a time, host-wide, each until its container
 * runs, so two never take the last place; a ps:stop, destroy or rename holds the same lock,
 * so nothing starts while the app stops or goes (a start that waited finds it gone).
 */
export async function startOneOff<T>(platform: Platform, app: string, how: OneOffStart<T>): Promise<T> {
  const lock = await platform.locks.acquire(oneOffsLockName(app), LOCK_WAIT_MS).catch((error: unknown) => {
    if (!(error instanceof LockTimeout)) throw error; // Redis away: said as everywhere
    throw new OneOffRefused(
      `${app} is busy (stopping, being destroyed or renamed, or starting other one-offs): try again`,
    );
  });
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    await lock.release();
  };
  try {
    if (!platform.state.apps.get(app)) throw new OneOffRefused(`App ${app} does not exist`, EXIT_APP_MISSING);
    const oneOffs = (await platform.schedulerFor(app).instances(app, { oneOffs: true })).filter((i) => i.oneOff);
    const running = (how.prepare ? await how.prepare(oneOffs) : oneOffs).filter((i) => i.running).length;
    const max = maxOneOffs(platform, app);
    if (running >= max) {
      throw new OneOffRefused(
        `${app} runs ${running} one-off container${running === 1 ? '' : 's'} and may run at most ${max} at once (run:list and cron:logs show them)`,
      );
    }
    // Released as soon as the container runs; a failure there (Redis away) is the lock's TTL's to mend, never the daemon's end.
    return await how.start(() => void release().catch(() => {}));
  } finally {
    await release();
  }
}
