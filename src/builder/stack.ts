import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { UserError } from '../core/errors.js';
import { runProgram } from '../core/process.js';
import type { Platform } from '../platform.js';
import type { DockerEngine } from '../runtime/docker/index.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import type { Language } from './languages.js';
import { ensureTemplatedImage } from './templated-image.js';

const templatesDir = new URL('../../templates/stack/', import.meta.url);
const template = (name: string) =>
  Handlebars.compile(fs.readFileSync(new URL(name, templatesDir), 'utf8'), { noEscape: true, strict: true });

/** The three stack images: the Debian base, and build and run images layered on it. */
export function stackImages(base: string) {
  const [repo, tag = 'latest'] = splitImageRef(base);
  return { base, build: `${repo}:${tag}-build`, run: `${repo}:${tag}-run` };
}

/**
 * Builds whichever stack images are missing (or all, when `rebuild`): the base with
 * debootstrap, then the build image (compilers, npm, pip) and run image (non-root user,
 * launcher) from templates/stack. Shows progress as it goes.
 */
export async function buildStackImages(options: {
  docker: DockerEngine;
  image: string;
  mirror: string;
  workDir: string;
  rebuild: boolean;
  onLine: (line: string) => void;
}): Promise<string[]> {
  const images = stackImages(options.image);
  const built: string[] = [];
  const needed = async (ref: string) => options.rebuild || !(await options.docker.images.exists(ref));
  if (await needed(images.base)) {
    await buildStack({ ...options, image: images.base });
    built.push(images.base);
  }
  for (const kind of ['build', 'run'] as const) {
    const files = [{ name: 'Dockerfile', content: template(`${kind}.Dockerfile.hbs`)({ baseImage: images.base }) }];
    if (kind === 'run')
      files.push({ name: 'slipway-launch', content: fs.readFileSync(new URL('slipway-launch', templatesDir), 'utf8') });
    // A new base means new layers for both; otherwise only a changed template rebuilds.
    const rebuild = options.rebuild || built.length > 0;
    if (await ensureTemplatedImage(options.docker, images[kind], files, { rebuild, onLine: options.onLine }))
      built.push(images[kind]);
  }
  return built;
}

/** A language's build and run images: the stack's, with its Debian packages added. */
export function languageImages(base: string, language: Language) {
  const images = stackImages(base);
  return { build: `${images.build}-${language.name}`, run: `${images.run}-${language.name}` };
}

const preparing = new KeyedMutex();

/**
 * Makes a language's build and run images when they are missing, older than the stack
 * images they come from, or from an older template (or all, when `rebuild`). They take a
 * while (apt-get from the Debian mirror the base was bootstrapped from), so the first
 * build that needs them says so. Returns the images and whether any was built.
 */
export async function ensureLanguageImages(
  docker: DockerEngine,
  base: string,
  language: Language,
  options: { rebuild: boolean; onPrepare: () => void; onLine: (line: string) => void },
): Promise<{ images: { build: string; run: string }; built: string[] }> {
  const parents = stackImages(base);
  const images = languageImages(base, language);
  const built: string[] = [];
  let announced = false;
  const onLine = (line: string) => {
    if (!announced) options.onPrepare();
    announced = true;
    options.onLine(line);
  };
  for (const kind of ['build', 'run'] as const) {
    const parentId = await docker.images.id(parents[kind]);
    if (parentId === undefined)
      throw new UserError(`The stack image ${parents[kind]} is missing: run slipway stack:build`);
    const dockerfile = template('language.Dockerfile.hbs')({
      language: language.title,
      kind,
      parentImage: parents[kind],
      packages: language.images[kind].join(' '),
      user: kind === 'run' ? 'app' : 'root',
    });
    const files = [{ name: 'Dockerfile', content: dockerfile }];
    // One build per image at a time: the pushes that wait use what the first one made.
    const made = await preparing.run(images[kind], () =>
      ensureTemplatedImage(docker, images[kind], files, { rebuild: options.rebuild, onLine, parentId }),
    );
    if (made) built.push(images[kind]);
  }
  return { images, built };
}

/** What every app image starts from: a minimal Debian with the runtimes our builds use. */
const STACK_PACKAGES = ['ca-certificates', 'nodejs', 'python3'];
const SUITE = 'bookworm';

/**
 * Builds the base image locally, since no container registry can be reached:
 * debootstrap a minimal Debian root, then import it into Docker as an image.
 */
async function buildStack(options: {
  docker: DockerEngine;
  image: string;
  mirror: string;
  workDir: string;
  onLine: (line: string) => void;
}): Promise<void> {
  const [repo, tag = 'latest'] = splitImageRef(options.image);
  fs.mkdirSync(options.workDir, { recursive: true });
  const rootfs = fs.mkdtempSync(path.join(options.workDir, 'stack-'));
  try {
    options.onLine(`Bootstrapping Debian ${SUITE} (${STACK_PACKAGES.join(', ')}) from ${options.mirror}`);
    const args = ['--variant=minbase', `--include=${STACK_PACKAGES.join(',')}`, SUITE, rootfs, options.mirror];
    const bootstrap = await runProgram('debootstrap', args, { onLine: options.onLine });
    if (bootstrap.code !== 0) throw new UserError(`debootstrap failed (exit ${bootstrap.code})`);
    options.onLine(`Importing the root filesystem as ${options.image}`);
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? 1)));
    await options.docker.images.importRootfs(tar.stdout, repo, tag, ['ENV LANG=C.UTF-8', 'CMD ["/bin/bash"]']);
    if ((await exited) !== 0) throw new UserError('Packing the root filesystem failed');
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
}

function splitImageRef(ref: string): [string, string | undefined] {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, undefined];
}

/** `stack:build`: the platform's stack images, from its settings. Returns what was built. */
export function buildPlatformStack(
  platform: Platform,
  options: { rebuild: boolean; onLine: (line: string) => void },
): Promise<string[]> {
  const { settings } = platform;
  return buildStackImages({
    docker: platform.engine,
    image: settings.stackImage,
    mirror: settings.debianMirror,
    workDir: path.join(settings.dataDir, 'tmp'),
    ...options,
  });
}

/** `stack:build --language`: a language's images made ahead of its first build. Returns what was built. */
export async function buildPlatformLanguageImages(
  platform: Platform,
  language: Language,
  options: { rebuild: boolean; onLine: (line: string) => void },
): Promise<string[]> {
  const made = await ensureLanguageImages(platform.engine, platform.settings.stackImage, language, {
    ...options,
    onPrepare: () => {},
  });
  return made.built;
}
