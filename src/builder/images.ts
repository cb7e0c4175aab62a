import { LABEL } from '../model/labels.js';
import type { Platform } from '../platform.js';
import { UserError } from '../core/errors.js';

/** Where an app's release images live: `<instance>/app-<app>:v<N>`. */
export function imageRepository(instance: string, app: string): string {
  return `${instance}/app-${app}`;
}

/** What an app's image is labelled with, so cleanup and an operator can find it by instance. */
export function imageLabels(instance: string, app: string): Record<string, string> {
  return { [LABEL.instance]: instance, [LABEL.app]: app };
}

/** Release vN's image. */
export function releaseImage(instance: string, app: string, version: number): string {
  return `${imageRepository(instance, app)}:v${version}`;
}

/** Where a deploy's image is built before it becomes release vN. */
export function buildImageTag(instance: string, app: string, deployId: string) {
  const repository = imageRepository(instance, app);
  const tag = `build-${deployId.slice(0, 8)}`;
  return { repository, tag, ref: `${repository}:${tag}` };
}

export function imageExists(platform: Platform, ref: string): Promise<boolean> {
  return platform.engine.images.exists(ref);
}

/** `git:from-image`: the image must be here and say what to run; it is tagged as a build of the app. */
export async function adoptImage(
  platform: Platform,
  image: string,
  target: { repository: string; tag: string },
): Promise<void> {
  const { images } = platform.engine;
  if (!(await images.exists(image))) throw new UserError(`Image ${image} is not on this host`);
  if (!(await images.hasCommand(image))) throw new UserError(`Image ${image} has no CMD or ENTRYPOINT to run`);
  await images.tag(image, target.repository, target.tag);
}

/** A built image becomes release vN's: tagged `v<N>`, its build tag dropped. */
export async function tagRelease(platform: Platform, app: string, built: string, version: number): Promise<void> {
  const { images } = platform.engine;
  await images.tag(built, imageRepository(platform.settings.instance, app), `v${version}`);
  await images.remove(built);
}

/** The TCP ports a built image EXPOSEs (where a Dockerfile app listens, unless ports:set says otherwise). */
export function exposedPorts(platform: Platform, ref: string): Promise<number[]> {
  return platform.engine.images.exposedPorts(ref);
}

export function removeImage(platform: Platform, ref: string): Promise<void> {
  return platform.engine.images.remove(ref);
}

/** Keeps the images of the newest succeeded releases (rollback targets) and drops the rest; the ones kept. */
export async function pruneReleaseImages(platform: Platform, app: string, keep: number): Promise<string[]> {
  const releases = platform.state.releases.list(app);
  const kept = new Set(
    releases
      .filter((r) => r.status === 'succeeded')
      .slice(0, keep)
      .map((r) => r.image),
  );
  for (const release of releases) {
    if (kept.has(release.image) || release.status === 'pending') continue;
    await platform.engine.images.remove(release.image).catch(() => {}); // still in use: next time
  }
  return [...kept];
}

/** Each release image of `from` under `to`'s repository, by release version. */
export function renamedReleaseImages(platform: Platform, from: string, to: string): Map<number, string> {
  const source = imageRepository(platform.settings.instance, from);
  const target = imageRepository(platform.settings.instance, to);
  const renamed = new Map<number, string>();
  for (const release of platform.state.releases.list(from)) {
    if (release.image.startsWith(`${source}:`))
      renamed.set(release.version, `${target}:${release.image.slice(source.length + 1)}`);
  }
  return renamed;
}

/** Tags every release image of `from` under `to`'s repository, before the records move. */
export async function tagReleaseImages(platform: Platform, from: string, to: string): Promise<void> {
  const { images } = platform.engine;
  const target = imageRepository(platform.settings.instance, to);
  const names = renamedReleaseImages(platform, from, to);
  for (const release of platform.state.releases.list(from)) {
    const renamed = names.get(release.version);
    if (renamed && (await images.exists(release.image)))
      await images.tag(release.image, target, renamed.slice(target.length + 1));
  }
}

/** Every image tag of an app; by tag, not id: identical builds share image ids with other apps. */
export async function removeAppImages(platform: Platform, app: string): Promise<void> {
  const repository = imageRepository(platform.settings.instance, app);
  for (const image of await platform.engine.images.list(repository)) {
    for (const tag of image.tags.filter((t) => t.startsWith(`${repository}:`)))
      await platform.engine.images.remove(tag);
  }
}

/**
 * git:load-image: loads an image archive (`docker save` output) and checks that it held
 * the image the caller named.
 */
export async function loadImageArchive(
  platform: Platform,
  archive: NodeJS.ReadableStream,
  image: string,
  onLine: (line: string) => void,
): Promise<void> {
  try {
    await platform.engine.images.load(archive, onLine);
  } catch (error) {
    throw new UserError(`The image archive could not be loaded: ${(error as Error).message}`);
  }
  if (!(await imageExists(platform, image))) throw new UserError(`The archive did not hold ${image}`);
}
