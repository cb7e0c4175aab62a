import { forEachLine } from '../../core/lines.js';
import { ended, type DockerApi } from './api.js';
import { labelFilters } from './requests.js';

const RECONNECT_MS = 1000;

/**
 * Calls `onEvent` with the action, id and labels of each event (`start`, `die`, …) of a
 * container with these labels, reconnecting when the engine restarts, until `signal` aborts.
 * Events may have been missed while the stream was down: each reconnection is reported as
 * a `resync` event, for the caller to look at everything again. A stream that ends because
 * the engine went away is reported as `lost` first, unless the engine keeps containers
 * running without it (live-restore): without, every container stopped with it, and Docker
 * will hand their addresses to whichever container it starts first.
 */
export async function watchContainerEvents(
  api: DockerApi,
  labels: Record<string, string>,
  actions: string[],
  onEvent: (action: string, id: string, labels: Record<string, string>) => void,
  signal: AbortSignal,
): Promise<void> {
  const filters = JSON.stringify({ type: ['container'], event: actions, label: labelFilters(labels) });
  let seen: 'never' | 'connected' | 'lost' = 'never';
  let liveRestore = false;
  while (!signal.aborted) {
    try {
      const stream = (await api.getEvents({ filters })) as NodeJS.ReadableStream & { destroy(): void };
      if (seen !== 'never') onEvent('resync', '', {});
      seen = 'connected';
      liveRestore = Boolean(((await api.info()) as { LiveRestoreEnabled?: boolean }).LiveRestoreEnabled);
      const stop = () => stream.destroy();
      signal.addEventListener('abort', stop, { once: true });
      forEachLine(stream, (line) => {
        if (!line) return;
        const event = JSON.parse(line) as {
          Action?: string;
          Actor?: { ID?: string; Attributes?: Record<string, string> };
        };
        onEvent(event.Action ?? '', event.Actor?.ID ?? '', event.Actor?.Attributes ?? {});
      });
      await ended(stream);
      signal.removeEventListener('abort', stop);
    } catch {
      /* the engine is down or restarting: try again */
    }
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- aborted meanwhile: TypeScript keeps the loop test's narrowing across the awaits
    if (signal.aborted) return;
    if (seen === 'connected' && !liveRestore && !(await answers(api))) {
      seen = 'lost';
      onEvent('lost', '', {});
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

const answers = (api: DockerApi) =>
  api.ping().then(
    () => true,
    () => false,
  );
