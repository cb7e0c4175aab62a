import { z } from 'zod';
import { UserError } from './errors.js';

/**
 * Reads all of a stream up to `limit` bytes; more than that is refused, never truncated.
 * Uses events, not `for await`: iterating destroys the stream at its end, and for an SSH
 * channel that would close it before the exit status goes out.
 */
export function readAllBytes(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const bytes = Buffer.from(chunk);
      chunks.push(bytes);
      size += bytes.length;
      if (size > limit) {
        stream.off('data', onData);
        reject(new UserError(`Input is larger than ${limit} bytes`));
      }
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

export async function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  return (await readAllBytes(stream, limit)).toString();
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

/** A JSON file of the user's, checked against `schema`; either fault is a UserError naming the file. */
export function parseJsonFile<T extends z.ZodType>(schema: T, text: string, fileName: string): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`Invalid ${fileName}: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new UserError(`Invalid ${fileName}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}
