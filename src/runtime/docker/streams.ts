import { StringDecoder } from 'node:string_decoder';
import { LineBuffer } from '../../core/lines.js';

/** Thrown for a build whose Dockerfile failed: the user's problem, not ours. */
export class BuildFailedError extends Error {}

/** A registry that refused (an image, credentials) or could not be reached: the reason, as it or the engine gave it. */
export class RegistryError extends Error {}

/**
 * Reads a JSON-lines progress stream (build/import/pull) and passes on the lines it prints,
 * and its status events (a pull's) to `onStatus`, with the layer they are about if any;
 * Docker reports failures inside it, not by status, so they are thrown at its end.
 */
export function followJsonStream(
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
  onStatus: (status: string, layer: string | undefined) => void = () => {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = new LineBuffer();
    const text = new StringDecoder('utf8');
    let failure: string | undefined;
    const handle = (json: string) => {
      if (!json.trim()) return;
      let event: { stream?: string; status?: string; id?: string; error?: string; errorDetail?: { message?: string } };
      try {
        event = JSON.parse(json) as typeof event; // every field is read as maybe missing
      } catch {
        return;
      }
      if (event.error) failure = event.errorDetail?.message ?? event.error;
      if (typeof event.status === 'string') onStatus(event.status, event.id);
      for (const line of event.stream?.split('\n') ?? []) if (line.trim()) onLine(line.trimEnd());
    };
    stream.on('data', (chunk: Buffer) => lines.push(text.write(chunk)).forEach(handle));
    stream.on('error', reject);
    stream.on('end', () => {
      handle(lines.end() ?? '');
      if (failure) reject(new BuildFailedError(failure));
      else resolve();
    });
  });
}

/** Non-TTY container logs come in 8-byte-header frames (stream type, size): their text, as lines. */
export function demuxToLines(buffer: Buffer): string[] {
  const chunks: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    chunks.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line, i, all) => line !== '' || i < all.length - 1);
}
