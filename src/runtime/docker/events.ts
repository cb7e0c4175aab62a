import { forEachLine } from '../../core/lines.js';
import { ended, type DockerApi } from './api.js';
import { labelFilters } from './requests.js';

const RECONNECT_MS = 1000;

/**
 * Calls `onEvent` with the action, id and labels of each event (`start`, `die`, …) of a
 * container with these labels, reconnecting when the engine restarts, until `signal` aborts.
 * Events may have been missed while the stream was down: each reconnection is reported as
 * a `resync` event, for the caller to look at everything again.
 */
export async function watchContainerEvents(
  api: DockerApi,
  labels: Record<string, string>,
  actions: string[],
  onEvent: (action: string, id: string, labels: Record<string, string>) => void,
  signal: AbortSignal,
): Promise<void> {
  const filters = JSON.stringify({ type: ['container'], event: actions, label: labelFilters(labels) });
  let connectedBefore = false;
  while (!signal.aborted) {
    try {
      const stream = (await api.getEvents({ filters })) as NodeJS.ReadableStream & { destroy(): void };
      if (connectedBefore) onEvent('resync', '', {});
      connectedBefore = true;
      const stop = () => stream.destroy();
      signal.addEventListener('abort', stop, { once: true });
      forEachLine(stream, (line) => {
        if (!line) return;
        const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
        onEvent(event.Action ?? '', event.Actor?.ID ?? '', event.Actor?.Attributes ?? {});
      });
      await ended(stream);
      signal.removeEventListener('abort', stop);
    } catch {
      /* the engine is down or restarting: try again */
    }
    if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}
