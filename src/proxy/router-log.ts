/** One request as the router logged it (templates/nginx/lua/router_log.lua), in Heroku's router format. */
export interface RouterLine {
  /** When the request came in (RFC 3339, UTC, milliseconds). */
  time: string;
  /** `at=info method=GET path="/" host=… fwd="…" connect=0ms service=3ms status=200 bytes=512 protocol=http`. */
  message: string;
}

const LINE = /^(\d{1,12}(?:\.\d{1,3})?) (at=\S.*)$/;

/**
 * Reads what the status socket's /router-log gave: a first line `dropped <n>`, then a line per
 * request, `<unix seconds> <fields>`. A line that is neither is skipped (never trusted). Pure.
 */
export function parseRouterLog(text: string): { dropped: number; lines: RouterLine[] } {
  const [first = '', ...rest] = text.split('\n');
  const dropped = /^dropped (\d{1,15})$/.exec(first);
  const lines: RouterLine[] = [];
  for (const line of rest) {
    const match = LINE.exec(line);
    if (match) lines.push({ time: new Date(Number(match[1]) * 1000).toISOString(), message: match[2]! });
  }
  return { dropped: dropped ? Number(dropped[1]) : 0, lines };
}
