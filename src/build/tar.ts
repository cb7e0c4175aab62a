import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';

export interface TarFile {
  name: string;
  content: string | Buffer;
  mode?: number;
}

/** A tar of in-memory files (a build context, an env dir). */
export function tarOf(files: TarFile[]): Readable {
  const pack = tar.pack();
  for (const file of files) pack.entry({ name: file.name, mode: file.mode ?? 0o644 }, file.content);
  pack.finalize();
  return pack.pipe(new PassThrough());
}

/**
 * Copies a tar stream entry by entry into a new one, adding `extra` files at the end;
 * `extra` may depend on the content of the entries named in `capture` (small files only).
 */
export function extendTar(
  source: NodeJS.ReadableStream,
  extra: (captured: Record<string, string>) => TarFile[],
  capture: string[] = [],
): { tar: Readable; captured: Promise<Record<string, string>> } {
  const extract = tar.extract();
  const pack = tar.pack();
  const captured: Record<string, string> = {};
  const done = new Promise<Record<string, string>>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      const wanted = capture.includes(header.name);
      if (wanted) stream.on('data', (chunk) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        if (wanted) captured[header.name] = Buffer.concat(chunks).toString('utf8');
      });
      stream.pipe(pack.entry(header, next));
    });
    extract.on('finish', () => {
      for (const file of extra(captured)) pack.entry({ name: file.name, mode: file.mode ?? 0o644 }, file.content);
      pack.finalize();
      resolve(captured);
    });
    extract.on('error', reject);
  });
  source.pipe(extract);
  return { tar: pack.pipe(new PassThrough()), captured: done };
}
