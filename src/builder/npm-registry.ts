import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { z } from 'zod';
import { UserError } from '../core/errors.js';

const versionSchema = z.looseObject({
  version: z.string(),
  engines: z.looseObject({ node: z.string().optional() }).optional().catch(undefined),
  dist: z.looseObject({ tarball: z.url(), integrity: z.string().optional() }),
  /** Where the package's commands are: `{ node: 'bin/node' }` in Node.js's own package. */
  bin: z.record(z.string(), z.string()).optional().catch(undefined),
});
const packumentSchema = z.looseObject({ versions: z.record(z.string(), versionSchema) });
export type PublishedVersion = z.infer<typeof versionSchema>;

/** A registry's list of versions changes rarely; warm builds should not wait for it. */
const PACKUMENT_TTL_MS = 10 * 60_000;
const PACKUMENT_TIMEOUT_MS = 30_000;
const TARBALL_TIMEOUT_MS = 10 * 60_000;
/** Node.js's own package is about 50 MB; nothing we fetch is near this. */
const MAX_TARBALL_BYTES = 512 * 1024 * 1024;

/**
 * Reads packages from an npm registry: the versions of a package (cached for a while), and
 * a version's tarball, unpacked only after its bytes match the registry's integrity hash.
 */
export class NpmRegistry {
  private readonly packuments = new Map<string, { at: number; versions: PublishedVersion[] }>();

  constructor(private readonly url: string) {}

  async versions(name: string): Promise<PublishedVersion[]> {
    const cached = this.packuments.get(name);
    if (cached && Date.now() - cached.at < PACKUMENT_TTL_MS) return cached.versions;
    const response = await this.get(this.packageUrl(name), PACKUMENT_TIMEOUT_MS);
    const parsed = packumentSchema.safeParse(await response.json());
    if (!parsed.success) throw new UserError(`The npm registry's answer for ${name} is not a package document`);
    const versions = Object.values(parsed.data.versions);
    this.packuments.set(name, { at: Date.now(), versions });
    return versions;
  }

  /** One version's document (`<registry>/<name>/<version>`): a few KB, where pnpm's list of every version is megabytes. */
  async published(name: string, version: string): Promise<PublishedVersion> {
    const response = await this.get(`${this.packageUrl(name)}/${encodeURIComponent(version)}`, PACKUMENT_TIMEOUT_MS);
    const parsed = versionSchema.safeParse(await response.json());
    if (!parsed.success)
      throw new UserError(`The npm registry's answer for ${name}@${version} is not a package version`);
    return parsed.data;
  }

  /**
   * Unpacks `package/<path>` entries that `keep` accepts into `target` (made here, and
   * only when every byte checked out and every `required` file is there: a partial,
   * tampered or differently laid out download leaves nothing).
   */
  async unpack(
    published: PublishedVersion,
    target: string,
    keep: (file: string) => boolean = () => true,
    required: string[] = [],
  ): Promise<void> {
    const expected = sha512Of(published.dist.integrity);
    if (!expected)
      throw new UserError(`${published.dist.tarball} has no sha512 integrity hash in the registry: refusing it`);
    const staging = `${target}.partial-${process.pid}-${Date.now()}`;
    fs.mkdirSync(staging, { recursive: true });
    try {
      const response = await this.get(published.dist.tarball, TARBALL_TIMEOUT_MS);
      const hash = createHash('sha512');
      let bytes = 0;
      const body = Readable.fromWeb(response.body as never);
      body.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_TARBALL_BYTES)
          body.destroy(new UserError(`${published.dist.tarball} is larger than ${MAX_TARBALL_BYTES} bytes`));
        hash.update(chunk);
      });
      await pipeline(body, createGunzip(), extractInto(staging, keep));
      if (hash.digest('base64') !== expected)
        throw new UserError(`${published.dist.tarball} does not match its registry integrity hash: refusing it`);
      const missing = required.filter((file) => !fs.existsSync(path.join(staging, file)));
      if (missing.length > 0)
        throw new UserError(`${published.dist.tarball} has no ${missing.join(', ')}: refusing it`);
      fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(staging, target);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  /** A package's document on the registry (a scoped name's slash escaped, as npm does). */
  private packageUrl(name: string): string {
    return `${this.url.replace(/\/$/, '')}/${name.replace('/', '%2F')}`;
  }

  private async get(url: string, timeoutMs: number): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    } catch (error) {
      throw new UserError(`Could not reach the npm registry (${url}): ${(error as Error).message}`);
    }
    if (!response.ok || !response.body) throw new UserError(`The npm registry answered ${response.status} for ${url}`);
    return response;
  }
}

/** The base64 digest of an npm `sha512-…` integrity string; undefined for any other. */
export function sha512Of(integrity: string | undefined): string | undefined {
  return /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity ?? '')?.[1];
}

/** A tar sink writing regular files under `root`; names outside `package/` or climbing out of it are refused. */
function extractInto(root: string, keep: (file: string) => boolean) {
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = path.posix.normalize(header.name).replace(/^package\//, '');
    const safe = header.name.startsWith('package/') && !name.startsWith('../') && !path.posix.isAbsolute(name);
    if (header.type !== 'file' || !safe || !keep(name)) {
      stream.on('end', next).resume();
      return;
    }
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    pipeline(stream, fs.createWriteStream(file, { mode: header.mode & 0o755 })).then(() => next(), next);
  });
  return extract;
}
