/**
 * Server-sent events. Browsers end a field at a bare CR as at LF or CRLF, so an event's data
 * is always one line of JSON: nothing a build prints can end its `data:` field or start
 * another event. U+2028 and U+2029 are escaped too, for parsers that take them as line ends.
 */
export function serverSentEvent(
  name: 'line' | 'end' | 'snapshot' | 'app' | 'app-removed' | 'event',
  id: number,
  data: unknown,
): string {
  const json = JSON.stringify(data).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return `id: ${id}\nevent: ${name}\ndata: ${json}\n\n`;
}

/** The number of the last event a reconnecting client has (its Last-Event-ID), or 0. */
export function lastEventId(header: string | string[] | undefined): number {
  return typeof header === 'string' && /^[0-9]{1,15}$/.test(header) ? Number(header) : 0;
}

/** How long a browser's EventSource waits before it reconnects by itself. */
export const sseRetry = (ms: number) => `retry: ${ms}\n\n`;

/** A comment line: no event for the client, but bytes on the wire, so no proxy takes the stream for idle and closes it. */
export const SSE_HEARTBEAT = ': keep-alive\n\n';
