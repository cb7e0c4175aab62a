import { UserError } from './errors.js';

/**
 * Reads all of a stream up to `limit` bytes; more than that is refused, never truncated.
 * Uses events, not `for await`: iterating destroys the stream at its end, and for an SSH
 * channel that would close it before the exit status goes out.
 */
export function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.length > limit) {
        stream.off('data', onData);
        reject(new UserError(`Input is larger than ${limit} bytes`));
      }
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(text));
    stream.once('error', reject);
  });
}

/** Reads one line (for confirmations); an empty string when the input ends first. */
export function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const finish = () => {
      stream.off('data', onData);
      stream.off('end', finish);
      resolve(text.split('\n')[0]!.trim());
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('\n') || text.length > 4096) finish();
    };
    stream.on('data', onData);
    stream.on('end', finish);
  });
}
