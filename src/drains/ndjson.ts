import type { DrainRecord } from './records.js';
import { procId } from './syslog.js';

/** What an HTTPS drain receives per line: one JSON object a line (NDJSON), many lines a POST. */
export interface DrainLineJson {
  time: string;
  app: string;
  /** The process type and its index: `web.1`. */
  process: string;
  release: number;
  message: string;
}

export const lineJson = (record: DrainRecord): DrainLineJson => ({
  time: record.time,
  app: record.app,
  process: procId(record),
  release: record.release,
  message: record.message,
});

/**
 * The records as NDJSON bodies of at most `maxBytes` each (a record larger than that goes
 * alone), in order. Pure.
 */
export function ndjsonBodies(records: DrainRecord[], maxBytes: number): Buffer[] {
  const bodies: Buffer[] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const record of records) {
    const line = Buffer.from(`${JSON.stringify(lineJson(record))}\n`, 'utf8');
    if (size > 0 && size + line.length > maxBytes) {
      bodies.push(Buffer.concat(current));
      current = [];
      size = 0;
    }
    current.push(line);
    size += line.length;
  }
  if (size > 0) bodies.push(Buffer.concat(current));
  return bodies;
}
