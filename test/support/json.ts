/**
 * JSON a test reads, typed as the daemon declares it (src/model/api.ts) or as the test expects
 * it: the cast is the test's claim, and its assertions check the fields it relies on.
 */
export const parseJson = <T = unknown>(text: string): T => JSON.parse(text) as T;

/** NDJSON (one document a line), e.g. `POST /commands`' output. */
export const jsonLines = <T = unknown>(text: string): T[] =>
  text
    .trim()
    .split('\n')
    .map((line) => parseJson<T>(line));

/** What every `*:report --format json` prints: field name to string value. */
export type Report = Record<string, string>;
