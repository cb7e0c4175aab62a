import { errorMessage } from './errors.js';
import type { Log } from './log.js';

/** One step of a shutdown: what it does (as the log names it) and the work. */
export type ShutdownStep = [what: string, work: () => unknown];

/**
 * Runs the steps one after another, all of them within `limitMs` together: a step that fails,
 * or is still going when the time is up, is logged and left behind (its work goes on until
 * the process exits), and the steps after it still start but are not waited for beyond the
 * deadline. True when every step finished in time. A shutdown that waits on something gone
 * (a Redis that no longer answers: its clients wait for a connection for ever) then ends
 * anyway, and says what it gave up on.
 */
export async function closeWithin(limitMs: number, steps: ShutdownStep[], log: Log): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  let clean = true;
  for (const [what, work] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('timed out');
    try {
      const outcome = await Promise.race([
        Promise.resolve().then(work),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), Math.max(0, deadline - Date.now()));
        }),
      ]);
      if (outcome === timedOut) {
        clean = false;
        log(`gave up ${what}: not done within ${limitMs / 1000} s`, { level: 'error' });
      }
    } catch (error) {
      clean = false;
      log(`${what} failed: ${errorMessage(error)}`, { level: 'error', err: error });
    } finally {
      clearTimeout(timer);
    }
  }
  return clean;
}

/**
 * What a stop signal does: the first runs `stop`, then exits, 0 when it closed everything
 * cleanly, 1 when it gave up on something (logged). A second one while that runs exits at
 * once, 1: a person pressing Ctrl-C again does not want to wait for running deploys (the
 * next start closes a deploy it did not see to its end).
 */
export function stopSignalHandler(
  stop: () => Promise<boolean>,
  log: Log,
  exit: (code: number) => void = (code) => process.exit(code),
): (signal: NodeJS.Signals) => void {
  let stopping = false;
  return (signal) => {
    if (stopping) {
      log(`${signal} received again: exiting now, without waiting for what is still running`, { level: 'warn' });
      return exit(1);
    }
    stopping = true;
    log(`${signal} received, finishing running deploys`);
    stop().then(
      (clean) => {
        if (!clean) log('unclean shutdown: see what was given up above', { level: 'error' });
        exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        log('unclean shutdown', { level: 'error', err: error });
        exit(1);
      },
    );
  };
}
