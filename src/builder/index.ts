import fs from 'node:fs';
import { UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import type { Settings } from '../settings.js';
import type { ProgressLog } from '../model/progress.js';
import { releaseMetaSchema, type ReleaseMeta } from '../model/release.js';
import { BuildFailedError, OneOffTimeoutError } from '../runtime/docker/index.js';
import { buildWithBuildpacks, cacheVolume, chooseBuildpack, CompileFailedError, processTypesOf } from './buildpack.js';
import { resolveBaseImages } from './base-images.js';
import { withLabels } from './dockerfile-images.js';
import { extendTar } from './tar.js';
import { imageLabels } from './images.js';
import { checkLanguageVersion, detectBuildpack, type Buildpack } from './languages.js';
import { NodeToolchains } from './node-toolchain.js';
import { nodeRequest } from './node-versions.js';
import { readSource, type SourceFacts } from './source.js';
import { discardStandbys, removeLeftBuildContainers } from './standby.js';

export const BUILDERS = ['dockerfile', 'herokuish'] as const;
export type Builder = (typeof BUILDERS)[number];
const BUILDER_PROPERTY = 'builder.selected';

export function selectedBuilder(platform: Platform, app: string): Builder | undefined {
  return platform.state.properties.get(app, BUILDER_PROPERTY) as Builder | undefined;
}

export function selectBuilder(platform: Platform, app: string, builder: Builder | undefined): void {
  platform.state.properties.set(app, BUILDER_PROPERTY, builder);
}

/**
 * Builds a pushed commit into the image `tag` and says what the source declared.
 * Builder choice, as in Dokku: the app's `builder:set` choice; else buildpacks when a
 * buildpack is named (BUILDPACK_URL, .buildpacks); else the Dockerfile if there is one;
 * else buildpacks.
 */
export async function buildFromSource(
  platform: Platform,
  job: { app: string; rev: string; tarPath: string },
  tag: string,
  log: ProgressLog,
): Promise<ReleaseMeta> {
  const { app } = job;
  const { engine: docker, state, settings } = platform;
  const source = await readSource(job.tarPath);
  const config = state.config.get(app);
  const requestedPack = config.BUILDPACK_URL ?? source.buildpack;
  const builder: Builder =
    selectedBuilder(platform, app) ??
    (requestedPack === undefined && source.dockerfile !== undefined ? 'dockerfile' : 'herokuish');
  try {
    if (builder === 'dockerfile') {
      if (source.dockerfile === undefined)
        throw new UserError(`${app} is set to build from a Dockerfile, but the commit has none`);
      const dockerfile = await resolveBaseImages(platform, app, source.dockerfile, log);
      log.step(`Building ${app} from Dockerfile`);
      // The app's Dockerfile (its registry images pinned) with its image labels, beside it in the context.
      const labelled = withLabels(dockerfile, imageLabels(settings.instance, app));
      const context = extendTar(fs.createReadStream(job.tarPath), () => [
        { name: LABELLED_DOCKERFILE, content: labelled },
      ]);
      await docker.images.build(context.tar, tag, (line) => log.output(line), {
        dockerfile: LABELLED_DOCKERFILE,
        timeoutMs: settings.buildTimeoutMs,
      });
      log.mark('built');
      return releaseMetaSchema.parse({ ...source.meta, builder });
    }
    log.step(`Building ${app} from herokuish`);
    // Decided here, from the files at the top, so that the build runs in the images its language needs.
    const pack = detectBuildpack(chooseBuildpack(requestedPack), source.markers);
    const language =
      pack && 'images' in pack
        ? { language: pack, summary: checkLanguageVersion(pack, source.versionFiles) }
        : undefined;
    const defaults = await buildWithBuildpacks(docker, {
      instance: settings.instance,
      stackImage: settings.stackImage,
      app,
      rev: job.rev,
      tarPath: job.tarPath,
      tag,
      buildpack: pack?.name,
      node: await nodeToolchainFor(settings, source, pack, log),
      language,
      mavenMirror: settings.mavenMirror,
      webCommand: source.meta.processes?.web,
      env: config,
      onLine: (line) => log.raw(line),
      onCompiled: () => log.mark('compiled'),
      timeoutMs: settings.buildTimeoutMs,
    });
    log.mark('built');
    const processes = processTypesOf(source.meta.processes, defaults);
    if (Object.keys(processes).length === 0)
      throw new UserError('No process types: add a Procfile that says what to run');
    return releaseMetaSchema.parse({ ...source.meta, builder, processes });
  } catch (error) {
    if (!(
      error instanceof BuildFailedError ||
      error instanceof CompileFailedError ||
      error instanceof OneOffTimeoutError
    ))
      throw error;
    log.error(error.message);
    throw new UserError('App build failed');
  }
}

const toolchains = new Map<string, NodeToolchains>();

/**
 * The Node.js toolchain of an app the Node.js buildpack will build (named, or detected by
 * its package.json); undefined for every other app.
 */
async function nodeToolchainFor(
  settings: Settings,
  source: SourceFacts,
  pack: Buildpack | undefined,
  log: ProgressLog,
) {
  if (source.node === undefined || pack?.name !== 'nodejs') return undefined;
  const request = nodeRequest(source.node);
  const key = `${settings.toolchainsDir} ${settings.npmRegistry}`;
  if (!toolchains.has(key)) toolchains.set(key, new NodeToolchains(settings.toolchainsDir, settings.npmRegistry));
  const toolchain = await toolchains.get(key)!.prepare(request, (line) => log.raw(line));
  return { toolchain, request, registry: settings.npmRegistry };
}

const LABELLED_DOCKERFILE = '.slipway.Dockerfile';

/** Removes build containers left by a process that died; not those of apps a live process is building. */
export function removeLeftBuilds(platform: Platform, building: (app: string) => Promise<boolean>): Promise<number> {
  return removeLeftBuildContainers(platform.engine, platform.settings.instance, building);
}

/** Empties the app's dependency cache (repo:purge-cache, and when the app goes); its build standbys use it. */
export async function purgeCache(platform: Platform, app: string): Promise<void> {
  await discardStandbys(platform.engine, { instance: platform.settings.instance, app });
  await platform.engine.removeVolume(cacheVolume(platform.settings.instance, app));
}
