import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readIfExists, replaceFile } from '../core/files.js';
import type { DrainRecord } from './records.js';

/**
 * A drain's undelivered lines, on disk: numbered segment files of one JSON record a line,
 * appended to the newest, delivered from a cursor in the oldest (and read ahead of it: a
 * target that confirms nothing, syslog, is sent more before what it was sent counts as
 * delivered, and sent again from the cursor when its connection fails). It holds at most `capBytes`:
 * past that the oldest segment goes, and the lines in it not yet delivered are counted as
 * dropped. The cursor and the counts are saved with each delivery, so after a restart the
 * drain goes on where it stopped (a batch sent but not yet recorded is sent again: a line may
 * arrive twice, never not at all).
 */

const SEGMENT = /^(\d{12})\.ndjson$/;
const segmentName = (n: number) => `${String(n).padStart(12, '0')}.ndjson`;
const NEWLINE = 0x0a;

const savedState = z.object({
  cursor: z.object({ segment: z.number().int().min(0), offset: z.number().int().min(0) }),
  delivered: z.number().int().min(0),
  dropped: z.number().int().min(0),
  buffered: z.number().int().min(0).default(0),
  lastError: z.string().optional(),
  lastErrorAt: z.number().optional(),
});
export type DrainCounts = Omit<z.infer<typeof savedState>, 'cursor'>;

/** Records read for delivery, and where the cursor goes once they are delivered. */
export interface Batch {
  records: DrainRecord[];
  lines: number;
  end: { segment: number; offset: number };
}

export class DrainBuffer {
  private readonly segments: { n: number; bytes: number }[] = [];
  private state: z.infer<typeof savedState>;
  private writeFd: number | undefined;
  private readonly segmentBytes: number;
  /** Where the next batch is read from: the cursor, or past it by what is sent and not yet confirmed. */
  private reading: { segment: number; offset: number };

  constructor(
    private readonly dir: string,
    private readonly capBytes: number,
  ) {
    this.segmentBytes = Math.max(4096, Math.floor(capBytes / 8));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.state = DrainBuffer.readState(dir) ?? {
      cursor: { segment: 0, offset: 0 },
      delivered: 0,
      dropped: 0,
      buffered: 0,
    };
    for (const file of fs.readdirSync(dir).sort()) {
      const match = SEGMENT.exec(file);
      if (match) this.segments.push({ n: Number(match[1]), bytes: fs.statSync(path.join(dir, file)).size });
    }
    const first = this.segments[0];
    if (first && this.state.cursor.segment < first.n) this.state.cursor = { segment: first.n, offset: 0 };
    this.state.buffered = this.countLines(this.state.cursor.segment, this.state.cursor.offset, Infinity);
    this.reading = this.state.cursor;
  }

  /** The counts a drain saved last (for listing drains without opening their buffers), if any. */
  static readState(dir: string): z.infer<typeof savedState> | undefined {
    const text = readIfExists(path.join(dir, 'state.json'));
    if (text === undefined) return undefined;
    try {
      return savedState.parse(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  get counts(): DrainCounts {
    const { cursor: _, ...counts } = this.state;
    return counts;
  }

  get empty(): boolean {
    return this.state.buffered === 0;
  }

  /** Appends records (synchronously: once this returns they survive the daemon's death), then keeps to the cap. */
  append(records: DrainRecord[]): void {
    if (records.length === 0) return;
    const bytes = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
    const last = this.segments.at(-1);
    if (this.writeFd === undefined || !last || last.bytes >= this.segmentBytes) this.startSegment();
    fs.writeSync(this.writeFd!, bytes);
    this.segments.at(-1)!.bytes += bytes.length;
    this.state.buffered += records.length;
    this.keepToCap();
  }

  /** Lines lost before they reached the buffer (nginx's router log was full): counted as dropped. */
  droppedBefore(lines: number): void {
    this.state.dropped += lines;
  }

  /** The next records to send, up to about `maxBytes` of them (at least one whole record); the same again until `sent` or `delivered`. */
  peek(maxBytes: number): Batch | undefined {
    for (;;) {
      const { segment, offset } = this.reading;
      const current = this.segments.find((s) => s.n === segment) ?? this.segments.find((s) => s.n > segment);
      if (!current) return undefined;
      const start = current.n === segment ? offset : 0;
      const chunk = this.read(current.n, start, Math.max(maxBytes, 1));
      const end = chunk.lastIndexOf(NEWLINE);
      if (end >= 0) {
        const lines = chunk.subarray(0, end).toString('utf8').split('\n');
        return {
          records: lines.flatMap((line) => parseRecord(line) ?? []),
          lines: lines.length,
          end: { segment: current.n, offset: start + end + 1 },
        };
      }
      // Nothing whole here: a larger record than asked for, the end of a segment a crash cut, or nothing yet.
      if (chunk.length >= maxBytes) return this.peek(maxBytes * 2);
      if (current === this.segments.at(-1)) return undefined;
      this.reading = { segment: current.n + 1, offset: 0 }; // the segment goes once the cursor passes it
    }
  }

  /** The batch went out, unconfirmed: the next batch is read after it. */
  sent(batch: Batch): void {
    this.reading = batch.end;
  }

  /** What was sent and not confirmed is to be sent again, from the cursor. */
  rewind(): void {
    this.reading = this.state.cursor;
  }

  /** The batch arrived: the cursor moves past it, and segments left behind go. */
  delivered(batch: Batch): void {
    // Its segment went over the cap while it was on its way: its lines were counted as dropped.
    if (batch.end.segment < this.state.cursor.segment) return;
    this.state.cursor = batch.end;
    if (isBefore(this.reading, batch.end)) this.reading = batch.end;
    this.state.delivered += batch.lines;
    this.state.buffered = Math.max(0, this.state.buffered - batch.lines);
    if (this.segments[0] && this.segments[0].n < batch.end.segment) this.moveCursorPast(batch.end.segment - 1);
    const segment = this.segments.find((s) => s.n === batch.end.segment);
    if (segment && segment !== this.segments.at(-1) && batch.end.offset >= segment.bytes)
      this.moveCursorPast(segment.n);
    this.save();
  }

  failed(message: string): void {
    this.state.lastError = message.slice(0, 500);
    this.state.lastErrorAt = Date.now();
    this.save();
  }

  save(): void {
    replaceFile(path.join(this.dir, 'state.json'), JSON.stringify(this.state));
  }

  close(): void {
    if (this.writeFd !== undefined) fs.closeSync(this.writeFd);
    this.writeFd = undefined;
  }

  private startSegment(): void {
    this.close();
    const n = (this.segments.at(-1)?.n ?? this.state.cursor.segment) + 1;
    this.writeFd = fs.openSync(path.join(this.dir, segmentName(n)), 'a', 0o600);
    this.segments.push({ n, bytes: 0 });
  }

  /** Past the cap, the oldest segments go (the one written to is started anew first), their undelivered lines counted. */
  private keepToCap(): void {
    let total = this.segments.reduce((sum, s) => sum + s.bytes, 0);
    let dropped = 0;
    while (total > this.capBytes) {
      if (this.segments.length === 1) this.startSegment();
      const oldest = this.segments[0]!;
      const { segment, offset } = this.state.cursor;
      const undelivered =
        oldest.n < segment ? 0 : this.countLines(oldest.n, oldest.n === segment ? offset : 0, oldest.n);
      dropped += undelivered;
      total -= oldest.bytes;
      this.moveCursorPast(oldest.n);
    }
    if (dropped === 0) return;
    this.state.dropped += dropped;
    this.state.buffered = Math.max(0, this.state.buffered - dropped);
    this.save();
  }

  /** The cursor (and the reading) go to the start of the segment after `n`, which is removed with any before it. */
  private moveCursorPast(n: number): void {
    while (this.segments[0] && this.segments[0].n <= n) {
      fs.rmSync(path.join(this.dir, segmentName(this.segments.shift()!.n)), { force: true });
    }
    const next = { segment: this.segments[0]?.n ?? n + 1, offset: 0 };
    if (this.state.cursor.segment <= n) this.state.cursor = next;
    if (this.reading.segment <= n) this.reading = next;
  }

  /** Whole lines from (segment, offset) to the end of segment `last` (Infinity: of all). */
  private countLines(segment: number, offset: number, last: number): number {
    let count = 0;
    for (const s of this.segments) {
      if (s.n < segment || s.n > last) continue;
      const fd = fs.openSync(path.join(this.dir, segmentName(s.n)), 'r');
      try {
        const chunk = Buffer.alloc(1024 * 1024);
        for (let at = s.n === segment ? offset : 0; ;) {
          const read = fs.readSync(fd, chunk, 0, chunk.length, at);
          if (read === 0) break;
          for (let i = 0; i < read; i++) if (chunk[i] === NEWLINE) count++;
          at += read;
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    return count;
  }

  private read(n: number, offset: number, length: number): Buffer {
    const fd = fs.openSync(path.join(this.dir, segmentName(n)), 'r');
    try {
      const chunk = Buffer.alloc(length);
      return chunk.subarray(0, fs.readSync(fd, chunk, 0, length, offset));
    } finally {
      fs.closeSync(fd);
    }
  }
}

const isBefore = (a: Batch['end'], b: Batch['end']) =>
  a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);

const recordShape = z.object({
  time: z.string(),
  app: z.string(),
  process: z.string(),
  index: z.number(),
  release: z.number(),
  message: z.string(),
});

/** A record line, or undefined for one a crash cut short. */
function parseRecord(line: string): DrainRecord | undefined {
  try {
    return recordShape.parse(JSON.parse(line));
  } catch {
    return undefined;
  }
}
