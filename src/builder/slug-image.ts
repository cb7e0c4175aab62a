import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { DockerEngine, ImageConfig } from '../runtime/docker/index.js';

/**
 * The slug image is made without `docker build`: the compiled /app becomes layers on the run
 * image, loaded as an image archive that holds only the new layers (the engine keeps the
 * layers it has and skips those it is given by diff ID). Dependencies get a layer of their
 * own under the app's code, so a push that changed only code writes only the code: a
 * Dockerfile `COPY` of a virtualenv's 1,700 files took 3 s on every push.
 */

/** Directories of /app that hold installed dependencies, restored unchanged from the build cache. */
export const DEPENDENCY_DIRS = ['node_modules', '.venv', 'vendor/bundle'] as const;

/** The `app` user of the stack images: it owns the slug, as Heroku's dyno user does. */
const APP_UID = 1000;
const ROOT = 'app/';

export interface SlugLayer {
  file: string;
  /** `sha256:` and the digest of the uncompressed layer tar. */
  diffId: string;
}

/** Which layer an /app path goes to: 0 for dependencies, 1 for the rest. */
function layerOf(name: string): 0 | 1 {
  const rest = name.startsWith(ROOT) ? name.slice(ROOT.length) : name;
  return DEPENDENCY_DIRS.some((dir) => rest === dir || rest === `${dir}/` || rest.startsWith(`${dir}/`)) ? 0 : 1;
}

class LayerWriter {
  readonly pack = tar.pack();
  entries = 0;
  private readonly hash = createHash('sha256');
  private readonly written: Promise<void>;

  constructor(readonly file: string) {
    const hash = this.hash;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    this.written = pipeline(this.pack, hashing, fs.createWriteStream(file));
  }

  async finish(): Promise<SlugLayer> {
    this.pack.finalize();
    await this.written;
    return { file: this.file, diffId: `sha256:${this.hash.digest('hex')}` };
  }
}

/**
 * Splits the tar of /app (as the engine's archive API gives it) into a dependencies layer and
 * a code layer, in `dir`, every file owned by the app user. Times, modes and links are kept,
 * so unchanged dependencies make the same layer byte for byte. Also returns the small files
 * named in `capture`, and the buildpack's DEPENDENCIES_MARKER (read, put in no layer). A
 * layer with nothing but /app itself is left out.
 */
export async function splitSlug(
  slug: NodeJS.ReadableStream,
  dir: string,
  capture: string[],
): Promise<{ layers: SlugLayer[]; captured: Record<string, string> }> {
  const writers = [
    new LayerWriter(path.join(dir, 'dependencies.tar')),
    new LayerWriter(path.join(dir, 'code.tar')),
  ] as const;
  const layerOfPath = new Map<string, 0 | 1>();
  const captured: Record<string, string> = {};
  const extract = tar.extract();
  extract.on('entry', (source, content, next) => {
    if (capture.includes(source.name) || source.name === DEPENDENCIES_MARKER) {
      const chunks: Buffer[] = [];
      content.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      content.on('end', () => (captured[source.name] = Buffer.concat(chunks).toString('utf8')));
    }
    if (source.name === DEPENDENCIES_MARKER) {
      content.on('end', () => next()); // read, and put in no layer
      return;
    }
    const header: tar.Header = {
      name: source.name,
      type: source.type,
      mode: source.mode,
      mtime: source.mtime,
      size: source.type === 'file' || source.type === 'contiguous-file' ? source.size : 0,
      linkname: source.linkname,
      uid: APP_UID,
      gid: APP_UID,
      uname: '',
      gname: '',
      devmajor: source.devmajor,
      devminor: source.devminor,
    };
    // A hard link goes where its target went: a layer cannot link into another.
    const index = source.type === 'link' ? (layerOfPath.get(source.linkname) ?? 1) : layerOf(source.name);
    layerOfPath.set(source.name, index);
    const layer = writers[index];
    if (source.name !== ROOT) layer.entries++;
    if (source.type === 'file' || source.type === 'contiguous-file') {
      content.pipe(layer.pack.entry(header, next));
      return;
    }
    if (source.name === ROOT) {
      // /app itself is in both layers, so each says who owns it; the code layer's time is the
      // one seen, and the dependencies layer's is fixed so that it stays the same layer.
      writers[0].pack.entry({ ...header, mtime: new Date(0) });
      writers[1].pack.entry(header);
    } else layer.pack.entry(header);
    content.on('end', () => next());
    content.resume();
  });
  await pipeline(slug as Readable, extract);
  const [dependencies, code] = await Promise.all(writers.map((writer) => writer.finish()));
  return { layers: writers[0].entries > 0 ? [dependencies!, code!] : [code!], captured };
}

/** The config of an image that is `base` plus `diffIds`, running `cmd` when given. */
export function slugImageConfig(
  base: ImageConfig,
  diffIds: string[],
  options: { cmd?: string[]; labels: Record<string, string>; created: Date },
): object {
  return {
    architecture: base.architecture,
    os: base.os,
    created: options.created.toISOString(),
    config: {
      ...base.config,
      ...(options.cmd ? { Cmd: options.cmd } : {}),
      Labels: { ...(base.config.Labels ?? {}), ...options.labels },
    },
    rootfs: { type: 'layers', diff_ids: [...base.diffIds, ...diffIds] },
  };
}

const hexOf = (diffId: string) => diffId.replace(/^sha256:/, '');

/**
 * An image archive in `docker save`'s layout with the files of `layers` only: the manifest
 * names every layer, and the engine reads a layer's file only when it lacks that layer.
 */
export function imageArchive(config: object, allDiffIds: string[], layers: SlugLayer[], tag: string): Readable {
  const configJson = JSON.stringify(config);
  const configName = `${createHash('sha256').update(configJson).digest('hex')}.json`;
  const manifest = [{ Config: configName, RepoTags: [tag], Layers: allDiffIds.map((id) => `${hexOf(id)}/layer.tar`) }];
  const pack = tar.pack();
  const out = new PassThrough();
  void (async () => {
    pack.entry({ name: configName }, configJson);
    pack.entry({ name: 'manifest.json' }, JSON.stringify(manifest));
    for (const layer of layers) {
      const { size } = await fs.promises.stat(layer.file);
      await pipeline(fs.createReadStream(layer.file), pack.entry({ name: `${hexOf(layer.diffId)}/layer.tar`, size }));
    }
    pack.finalize();
  })().catch((error: Error) => pack.destroy(error));
  return pack.pipe(out);
}

/**
 * Written by a buildpack (buildpacks/bin/dependencies.sh): the cache key its dependencies
 * directory was made from, and "reused" when it left the directory out because Slipway said
 * it still has that layer. Never part of the image.
 */
export const DEPENDENCIES_MARKER = 'app/.slipway-dependencies';

/** The compile left the dependencies out, and the engine no longer has their layer: compile again with them. */
export class DependenciesGoneError extends Error {}

/** Per app: the dependencies layer of its last slug, what it sits on, and the cache key it was made from. */
interface DependenciesLayer {
  diffId: string;
  chain: string;
  key: string | undefined;
}
const lastDependencies = new Map<string, DependenciesLayer>();
const chainOf = (base: ImageConfig) => base.diffIds.join(',');

/**
 * The cache key whose dependencies the next compile of `app` on `base` may leave out: Slipway
 * lays the same layer under the new code. Undefined when there is none (e.g. after a restart).
 */
export function reusableDependencies(app: string, base: ImageConfig): string | undefined {
  const last = lastDependencies.get(app);
  return last && last.chain === chainOf(base) ? last.key : undefined;
}

/**
 * Makes `tag` from the run image `base` and the compiled /app in `slug`; returns the
 * captured files. `cmd` says, from the captured files, what the image runs by itself.
 * A dependencies layer is sent to the engine only when it is not the app's last one.
 */
export async function loadSlugImage(
  docker: DockerEngine,
  options: {
    /** The app, as the memory of its last dependencies layer knows it. */
    app: string;
    slug: NodeJS.ReadableStream;
    base: ImageConfig;
    tag: string;
    labels: Record<string, string>;
    /** Where the layers are written while the image is made. */
    workDir: string;
    capture: string[];
    cmd: (captured: Record<string, string>) => string[] | undefined;
  },
): Promise<Record<string, string>> {
  const dir = await fs.promises.mkdtemp(path.join(options.workDir, 'slug-'));
  try {
    const { layers, captured } = await splitSlug(options.slug, dir, options.capture);
    const [key, reused] = (captured[DEPENDENCIES_MARKER] ?? '').trim().split(' ');
    const chain = chainOf(options.base);
    const last = lastDependencies.get(options.app);
    const code = layers.at(-1)!;
    if (reused === 'reused' && (!last || last.chain !== chain || last.key !== key)) {
      throw new DependenciesGoneError('The compile reused dependencies Slipway does not have');
    }
    const dependencies: DependenciesLayer | undefined =
      reused === 'reused'
        ? last
        : layers.length > 1
          ? { diffId: layers[0]!.diffId, chain, key: key || undefined }
          : undefined;
    const diffIds = [...(dependencies ? [dependencies.diffId] : []), code.diffId];
    const config = slugImageConfig(options.base, diffIds, {
      cmd: options.cmd(captured),
      labels: options.labels,
      created: new Date(),
    });
    const load = (sent: SlugLayer[]) =>
      docker.images.load(imageArchive(config, [...options.base.diffIds, ...diffIds], sent, options.tag), () => {});
    if (reused === 'reused') {
      // Between two pushes the engine may have removed the layer with the last image using it.
      await load([code]).catch(() => {
        lastDependencies.delete(options.app);
        throw new DependenciesGoneError('The dependencies layer of the last build is gone from the engine');
      });
    } else if (dependencies && last?.chain === chain && last.diffId === dependencies.diffId) {
      await load([code]).catch(() => load(layers)); // the same bytes as last time: the engine likely has them
    } else await load(layers);
    if (dependencies) lastDependencies.set(options.app, dependencies);
    else lastDependencies.delete(options.app);
    return captured;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
