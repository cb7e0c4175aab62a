import { forEachLine } from '../../core/lines.js';
import { ended, type DockerApi } from './api.js';
import { labelFilters } from './requests.js';

const RECONNECT_MS = 1000;

/**
 * Calls `onStart` with the id and labels of each container that starts with these labels,
 * reconnecting when the engine restarts, until `signal` aborts.
 */
export async function watchContainerStarts(
  api: DockerApi,
  labels: Record<string, string>,
  onStart: (id: string, labels: Record<string, string>) => void,
  signal: AbortSignal,
): Promise<void> {
  const filters = JSON.stringify({ type: ['container'], event: ['start'], label: labelFilters(labels) });
  while (!signal.aborted) {
    try {
      const stream = (await api.getEvents({ filters })) as NodeJS.ReadableStream & { destroy(): void };
      const stop = () => stream.destroy();
      signal.addEventListener('abort', stop, { once: true });
      forEachLine(stream, (line) => {
        if (!line) return;
        const event = JSON.parse(line) as { Actor?: { ID?: string; Attributes?: Record<string, string> } };
        onStart(event.Actor?.ID ?? '', event.Actor?.Attributes ?? {});
      });
      await ended(stream);
      signal.removeEventListener('abort', stop);
    } catch {
      /* the engine is down or restarting: try again */
    }
    if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}
