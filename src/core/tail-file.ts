import fs from 'node:fs';
import { LineBuffer } from './lines.js';
import { sleep } from './process.js';

/** How much of a file's end is read to find its last lines: long lines past it are cut. */
const TAIL_WINDOW = 1024 * 1024;
const POLL_MS = 250;

/**
 * `tail [-f]` of a file: its last `lines` lines, then, with `follow`, lines as they are
 * appended until `signal` aborts (a file truncated by log rotation is read from its start).
 * Only the file's last MiB is read for the tail, so a large log costs no more than that.
 * `only`: the lines wanted (a log several writers share), counted and followed alone.
 */
export async function tailFile(
  file: string,
  options: {
    lines: number;
    follow: boolean;
    signal: AbortSignal;
    onLine: (line: string) => void;
    only?: (line: string) => boolean;
  },
): Promise<void> {
  const wanted = options.only ?? (() => true);
  const onLine = (line: string) => wanted(line) && options.onLine(line);
  let offset = fileSize(file);
  const start = Math.max(0, offset - TAIL_WINDOW);
  const text = readRange(file, start, offset);
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  if (start > 0) all.shift(); // the window began mid-line
  const tail = all.filter(wanted);
  tail.slice(Math.max(0, tail.length - options.lines)).forEach(options.onLine);
  const buffer = new LineBuffer();
  while (options.follow && !options.signal.aborted) {
    await sleep(POLL_MS);
    const size = fileSize(file);
    if (size < offset) offset = 0;
    if (size === offset) continue;
    const to = Math.min(size, offset + TAIL_WINDOW); // memory stays bounded however fast it grows
    buffer.push(readRange(file, offset, to)).forEach(onLine);
    offset = to;
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readRange(file: string, from: number, to: number): string {
  if (to <= from) return '';
  const handle = fs.openSync(file, 'r');
  try {
    const bytes = Buffer.alloc(to - from);
    const read = fs.readSync(handle, bytes, 0, bytes.length, from);
    return bytes.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(handle);
  }
}
