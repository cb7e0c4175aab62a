import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import { LABEL } from '../model/labels.js';
import { LAUNCHER } from '../model/release.js';
import type { DockerEngine } from '../runtime/docker/index.js';
import type { Env } from '../state/index.js';
import { imageLabels } from './images.js';
import { ensureNodeRunImage, type NodeToolchain } from './node-toolchain.js';
import type { NodeRequest } from './node-versions.js';
import { BUILDPACKS, type Language } from './languages.js';
import { ensureLanguageImages, stackImages } from './stack.js';
import { DependenciesGoneError, loadSlugImage, reusableDependencies } from './slug-image.js';
import { buildContainerLabels, runBuildOneOff } from './standby.js';
import { extendTar } from './tar.js';

const BUILDPACKS_DIR = fileURLToPath(new URL('../../buildpacks', import.meta.url));
const SHIPPED_BUILDPACKS = BUILDPACKS.map((pack) => pack.name);
/** bin/release's output, kept by bin/slipway-build. */
const RELEASE_FILE = 'app/.release';
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const CONTAINER_CA_BUNDLE = '/etc/ssl/certs/host-ca.crt';

/** Thrown when a buildpack's compile fails: the user's build, not Slipway, went wrong. */
export class CompileFailedError extends Error {}

/**
 * Maps a BUILDPACK_URL or .buildpacks entry (`nodejs`, `heroku/nodejs`, a GitHub URL of the
 * Heroku buildpack) to one of the shipped buildpacks: no buildpack is ever downloaded.
 */
export function chooseBuildpack(requested: string | undefined): string | undefined {
  if (requested === undefined || requested.trim() === '') return undefined;
  const wanted = requested.trim().toLowerCase();
  const match = SHIPPED_BUILDPACKS.find((name) => new RegExp(`(^|[/-])${name}(\\.git)?(#.*)?$`).test(wanted));
  if (!match) {
    throw new UserError(
      `Unknown buildpack ${requested}: Slipway ships ${SHIPPED_BUILDPACKS.join(', ')} (no buildpack is downloaded)`,
    );
  }
  return match;
}

export function cacheVolume(instance: string, app: string): string {
  return `${instance}-cache-${app}`;
}

/**
 * Builds an app the Heroku way, with no registry: runs the buildpack API (detect, compile,
 * release) in a throwaway container of the build image, the source put in at /app, the
 * app's cache volume at /tmp/cache and its config as files in /tmp/env; then lays the
 * compiled /app onto the run image, owned by the non-root `app` user (see slug-image.ts).
 * Returns the buildpack's default process types.
 */
export async function buildWithBuildpacks(
  docker: DockerEngine,
  options: {
    instance: string;
    stackImage: string;
    app: string;
    rev: string;
    tarPath: string;
    tag: string;
    buildpack: string | undefined;
    /** The Procfile's web command, which wins over the buildpack's default. */
    webCommand: string | undefined;
    env: Env;
    onLine: (line: string) => void;
    /** The compile ended well; the slug image is made next. */
    onCompiled?: () => void;
    /** The compile container is removed past this. */
    timeoutMs: number;
    /** For a Node.js app: the toolchain it asked for and what its build does. */
    node?: { toolchain: NodeToolchain; request: NodeRequest; registry: string };
    /** For an app of a language with images of its own: which, and what its version check said. */
    language?: { language: Language; summary: string };
    /** The host's stand-in for Maven Central (for the Java buildpack). */
    mavenMirror?: string;
  },
): Promise<Record<string, string>> {
  const images = options.language
    ? await prepareLanguageImages(docker, options.stackImage, options.language.language, options.onLine)
    : stackImages(options.stackImage);
  const idOf = async (image: string) => {
    const id = await docker.images.id(image);
    if (id === undefined) throw new UserError(`The stack image ${image} is missing: run slipway stack:build`);
    return id;
  };
  const [buildImageId, runImageId] = await Promise.all([idOf(images.build), idOf(images.run)]);
  const runImage = options.node
    ? await ensureNodeRunImage(docker, images.run, runImageId, options.node.toolchain.node)
    : images.run;
  const cache = cacheVolume(options.instance, options.app);
  await docker.ensureVolume(cache, { [LABEL.instance]: options.instance, [LABEL.app]: options.app });
  const binds = [
    `${BUILDPACKS_DIR}:/tmp/buildpacks:ro`,
    `${cache}:/tmp/cache`,
    ...(options.node ? nodeBinds(options.node.toolchain) : []),
  ];
  // Package registries may answer through a TLS proxy that only the host's CA bundle trusts.
  const caEnv = fs.existsSync(HOST_CA_BUNDLE)
    ? { NODE_EXTRA_CA_CERTS: CONTAINER_CA_BUNDLE, PIP_CERT: CONTAINER_CA_BUNDLE, SSL_CERT_FILE: CONTAINER_CA_BUNDLE }
    : undefined;
  if (caEnv) binds.push(`${HOST_CA_BUNDLE}:${CONTAINER_CA_BUNDLE}:ro`);

  const base = await docker.images.configOf(runImage);
  const slugOf = `${options.instance}/${options.app}`;
  let release = '';
  // `reusable`: the cache key of dependencies the compile may leave out (see slug-image.ts).
  const compile = (reusable: string | undefined) =>
    runBuildOneOff(docker, options, {
      image: buildImageId, // by id: a standby of an older build image is not used
      cmd: ['/bin/bash', '/tmp/buildpacks/bin/slipway-build'],
      env: {
        STACK: 'bookworm',
        SOURCE_VERSION: options.rev,
        ...caEnv,
        ...(options.buildpack ? { SLIPWAY_BUILDPACK: options.buildpack } : {}),
        ...(options.node ? nodeBuildEnv(options.node) : {}),
        ...(options.language ? { SLIPWAY_LANGUAGE_SUMMARY: options.language.summary } : {}),
        ...(options.mavenMirror ? { SLIPWAY_MAVEN_MIRROR: options.mavenMirror } : {}),
        ...(reusable ? { SLIPWAY_REUSABLE_DEPENDENCIES: reusable } : {}),
      },
      labels: buildContainerLabels(options),
      binds,
      // One archive: each one put in costs the engine a process of its own (about 0.1 s).
      inputs: [{ path: '/', tar: compileInputs(options.tarPath, options.env) }],
      onLine: options.onLine,
      timeoutMs: options.timeoutMs,
      removeInBackground: true, // the slug image is made: the deploy goes on
      collect: {
        path: '/app',
        use: async (slug) => {
          options.onCompiled?.();
          const captured = await loadSlugImage(docker, {
            app: slugOf,
            slug,
            base,
            tag: options.tag,
            labels: imageLabels(options.instance, options.app),
            workDir: path.dirname(options.tarPath),
            capture: [RELEASE_FILE],
            // The image runs its web process by itself too (`docker run`, git:from-image).
            cmd: (files) => {
              const web = options.webCommand ?? defaultProcessTypes(files[RELEASE_FILE] ?? '').web;
              return web === undefined ? undefined : [LAUNCHER, web];
            },
          });
          release = captured[RELEASE_FILE] ?? '';
        },
      },
    });
  let code: number;
  try {
    code = await compile(reusableDependencies(slugOf, base));
  } catch (error) {
    if (!(error instanceof DependenciesGoneError)) throw error;
    options.onLine('-----> The last build’s dependencies are gone from the engine: compiling again with them');
    code = await compile(undefined);
  }
  if (code !== 0) throw new CompileFailedError(`Buildpack compile failed (exit ${code})`);
  return defaultProcessTypes(release);
}

/** The language's images, made first when this is its first build on the host (which says so: it takes a while). */
async function prepareLanguageImages(
  docker: DockerEngine,
  stackImage: string,
  language: Language,
  onLine: (line: string) => void,
) {
  const onPrepare = () =>
    onLine(
      `-----> Preparing the ${language.title} build and run images (the first ${language.title} build on this host: this takes a while)`,
    );
  const prepared = await ensureLanguageImages(docker, stackImage, language, {
    rebuild: false,
    onPrepare,
    onLine: (line) => onLine(`       ${line}`),
  });
  return prepared.images;
}

/** The source at /app and the config as files in /tmp/env (both in the build image, empty). */
function compileInputs(tarPath: string, env: Env) {
  const envFiles = () =>
    Object.entries(env).map(([name, content]) => ({ name: `tmp/env/${name}`, content, mode: 0o600 }));
  return extendTar(fs.createReadStream(tarPath), envFiles, [], 'app/').tar;
}

/** Where the Node.js buildpack finds the toolchain (see buildpacks/nodejs/bin/compile). */
const TOOLCHAIN_MOUNT = '/tmp/toolchain';

function nodeBinds(toolchain: NodeToolchain): string[] {
  const parts = { node: toolchain.node, npm: toolchain.npm, corepack: toolchain.corepack };
  return Object.entries(parts).flatMap(([name, part]) => (part ? [`${part.dir}:${TOOLCHAIN_MOUNT}/${name}:ro`] : []));
}

function nodeBuildEnv(node: {
  toolchain: NodeToolchain;
  request: NodeRequest;
  registry: string;
}): Record<string, string> {
  const { packageManager, buildScript } = node.request;
  return {
    SLIPWAY_NODE_SUMMARY: node.toolchain.summary,
    SLIPWAY_PACKAGE_MANAGER: packageManager.name,
    ...(packageManager.version ? { SLIPWAY_PACKAGE_MANAGER_VERSION: packageManager.version } : {}),
    ...(node.toolchain.packageManagerHash ? { SLIPWAY_PACKAGE_MANAGER_HASH: node.toolchain.packageManagerHash } : {}),
    ...(buildScript ? { SLIPWAY_BUILD_SCRIPT: buildScript } : {}),
    npm_config_registry: node.registry,
    COREPACK_NPM_REGISTRY: node.registry,
  };
}

/** `default_process_types` from bin/release's YAML (the flat map buildpacks print). */
export function defaultProcessTypes(yaml: string): Record<string, string> {
  const types: Record<string, string> = {};
  let inside = false;
  for (const line of yaml.split('\n')) {
    if (/^default_process_types:\s*$/.test(line)) inside = true;
    else if (/^\S/.test(line)) inside = false;
    else if (inside) {
      const match = /^\s+([a-z0-9](?:[-a-z0-9]*[a-z0-9])?):(.*)$/.exec(line);
      const command = match?.[2]!.trim(); // trimmed here: a pattern's (.+?)\s*$ is quadratic on trailing spaces
      if (command) types[match![1]!] = command;
    }
  }
  return types;
}

/**
 * The process types a buildpack app runs: its Procfile's, and the buildpack's defaults for the
 * types the Procfile does not declare, as on Heroku (a Rails app whose Procfile has only
 * `release:` runs the default `rails server` as web).
 */
export function processTypesOf(
  procfile: Record<string, string> | undefined,
  defaults: Record<string, string>,
): Record<string, string> {
  return { ...defaults, ...procfile };
}
