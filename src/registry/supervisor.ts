import { errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { everyUntilAborted } from '../core/process.js';
import type { Settings } from '../settings.js';
import type { State } from '../state/index.js';
import { clusterRegistry } from './cluster.js';
import type { ImageRegistry } from './image-registry.js';

const SUPERVISE_MS = 5000;

/**
 * The daemon keeps the registry running once the swarm is set up, as it keeps nginx, and
 * frees the layers of the images pruned since the last look.
 */
export function superviseRegistry(settings: Settings, state: State, log: Log, signal: AbortSignal): void {
  let busy = false;
  everyUntilAborted(SUPERVISE_MS, signal, () => {
    const registry = clusterRegistry(settings, state);
    if (!registry || busy) return;
    busy = true;
    void keepServing(registry, log)
      .then(async (serving) => {
        if (!serving) return;
        const freed = await registry
          .collectGarbageIfDue()
          .catch((error: unknown) => log(`collecting the image registry's garbage failed: ${errorMessage(error)}`));
        if (freed) log(`the image registry freed ${freed} blobs of pruned images`);
      })
      .finally(() => (busy = false));
  });
}

/** Whether it serves, after starting it again if it did not. */
async function keepServing(registry: ImageRegistry, log: Log): Promise<boolean> {
  const problem = await registry.problem();
  if (!problem) return true;
  log(`${problem}: starting it again`);
  try {
    await registry.ensureRunning();
    log('the image registry is serving again');
    return true;
  } catch (error) {
    log(`restarting the image registry failed: ${errorMessage(error)}`);
    return false;
  }
}
