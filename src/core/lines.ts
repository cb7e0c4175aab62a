import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';

/**
 * Cuts a stream of text into lines. Each chunk is scanned once, and text without a newline
 * is only collected, never re-split: a long line arriving in many chunks costs linear time.
 * A line longer than `maxLine` is cut there, so output with no newline cannot grow without
 * bound in memory.
 */
export class LineBuffer {
  private partial: string[] = [];
  private partialLength = 0;

  constructor(private readonly maxLine = 64 * 1024) {}

  /** The lines that this chunk completes, without their newlines. */
  push(chunk: string): string[] {
    const parts = chunk.split('\n');
    if (parts.length === 1) return this.collect(chunk);
    const first = this.partial.join('') + parts[0]!;
    this.partial = [];
    this.partialLength = 0;
    return [first, ...parts.slice(1, -1), ...this.collect(parts[parts.length - 1]!)];
  }

  /** What is left after the last newline, if anything. */
  end(): string | undefined {
    const rest = this.partial.join('');
    this.partial = [];
    this.partialLength = 0;
    return rest === '' ? undefined : rest;
  }

  private collect(text: string): string[] {
    this.partial.push(text);
    this.partialLength += text.length;
    if (this.partialLength <= this.maxLine) return [];
    const long = this.end()!;
    const cut: string[] = [];
    for (let at = 0; at < long.length; at += this.maxLine) cut.push(long.slice(at, at + this.maxLine));
    const last = cut.pop()!;
    this.partial = [last];
    this.partialLength = last.length;
    return cut;
  }
}

export function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  const lines = new LineBuffer();
  const text = new StringDecoder('utf8'); // a character may be split across chunks
  stream.on('data', (chunk: Buffer | string) =>
    lines.push(typeof chunk === 'string' ? chunk : text.write(chunk)).forEach(onLine),
  );
  stream.on('end', () => {
    lines.push(text.end());
    const rest = lines.end();
    if (rest !== undefined) onLine(rest);
  });
}

/** A writable that calls `onLine` per line of text written to it, trailing spaces trimmed. */
export function lineWriter(onLine: (line: string) => void): Writable {
  const lines = new LineBuffer();
  const text = new StringDecoder('utf8');
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(text.write(chunk)).forEach((line) => onLine(line.trimEnd()));
      done();
    },
    final(done) {
      lines.push(text.end());
      const rest = lines.end();
      if (rest !== undefined) onLine(rest.trimEnd());
      done();
    },
  });
}

const isBlank = (c: string | undefined) => c === ' ' || c === '\t';

/**
 * The text before its trailing comment: the first marker (`#`, `//`) that follows a space or
 * tab, and everything after it. One pass, where a pattern like /\s+#.*$/ costs quadratic time
 * on a long run of spaces.
 */
export function cutTrailingComment(text: string, markers: readonly string[]): string {
  for (let i = 1; i < text.length; i++) {
    if (isBlank(text[i - 1]) && markers.some((marker) => text.startsWith(marker, i))) return text.slice(0, i).trimEnd();
  }
  return text;
}

/** A writable that drops what is written to it: output nobody reads (a readiness probe's). */
export function discardingWriter(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
