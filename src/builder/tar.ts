import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { UserError } from '../core/errors.js';

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
 * With `under`, the copied entries are put in that directory (`app/`), the extra ones not.
 */
export function extendTar(
  source: NodeJS.ReadableStream,
  extra: (captured: Record<string, string>) => TarFile[],
  capture: string[] = [],
  under = '',
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
      const moved = under && {
        name: under + header.name,
        ...(header.type === 'link' && { linkname: under + header.linkname }),
      };
      stream.pipe(pack.entry({ ...header, ...moved }, next));
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

/** The regular files of a small tar held in memory, by name (certs:add takes a tar on stdin). */
export function filesInTar(bytes: Buffer): Promise<Record<string, string>> {
  const extract = tar.extract();
  const files: Record<string, string> = {};
  return new Promise((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files[header.name.replace(/^\.\//, '')] = Buffer.concat(chunks).toString();
        next();
      });
      stream.resume();
    });
    extract.on('finish', () => resolve(files));
    extract.on('error', () =>
      reject(new UserError('The input is neither PEM text nor a tar of server.crt and server.key')),
    );
    extract.end(bytes);
  });
}
