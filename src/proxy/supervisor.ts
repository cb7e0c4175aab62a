import { errorMessage } from '../core/errors.js';
import { everyUntilAborted } from '../core/process.js';
import type { Nginx } from './nginx.js';
import type { ProcessRef } from './nginx-workers.js';
import type { Log } from '../core/log.js';

const CHECK_MS = 1000;

/**
 * The daemon owns its nginx master: it checks every second that the master runs and
 * answers, and when it does not, clears the workers it left behind and starts it again
 * with the current routes. nginx keeps running when the daemon stops (apps keep serving).
 */
export function superviseNginx(nginx: Nginx, log: Log, signal: AbortSignal): void {
  let workers: ProcessRef[] = [];
  let busy = false;
  const check = async () => {
    if (await nginx.healthy()) {
      workers = nginx.workers();
      return;
    }
    log(`nginx is not answering; ${workers.length} worker(s) of the last master are cleared and it is started again`);
    await nginx.recover(workers);
    workers = nginx.workers();
    log('nginx is serving again');
  };
  everyUntilAborted(CHECK_MS, signal, () => {
    if (busy) return;
    busy = true;
    check()
      .catch((error) => log(`restarting nginx failed: ${errorMessage(error)}`))
      .finally(() => (busy = false));
  });
}
