import { EXIT_APP_MISSING, UserError } from '../core/errors.js';
import { parseAppName } from '../core/names.js';
import { copyRepo, ensureRepo, moveRepo, removeRepo } from '../git/repos.js';
import type { Platform } from '../platform.js';
import { appLockName } from '../queue/locks.js';
import { cacheVolume } from '../build/index.js';
import { imageRepository } from '../deploy/images.js';
import { ROUTED, unrouteApp } from '../deploy/routes.js';
import { moveCertificate, removeCertificate } from '../proxy/certs.js';
import { APP_DOMAINS } from '../proxy/domains.js';
import { STORAGE_PROPERTY } from '../storage/index.js';
import type { AppRecord } from '../state/index.js';

const DESTROY_WAIT_MS = 10 * 60_000;

/** The app by name, or Dokku's "does not exist" (exit 20) for a valid name that is not there. */
export function requireApp(platform: Platform, name: string | undefined): AppRecord {
  const app = platform.state.apps.get(parseAppName(name));
  if (!app) throw new UserError(`App ${name} does not exist`, EXIT_APP_MISSING);
  return app;
}

export async function createApp(platform: Platform, name: string | undefined): Promise<AppRecord> {
  const app = parseAppName(name);
  if (!platform.state.apps.create(app, platform.settings.defaultBranch)) throw new UserError('Name is already taken');
  await ensureRepo(platform.settings.reposDir, app);
  return platform.state.apps.get(app)!;
}

/**
 * Removes an app and everything it owns: containers, nginx routing, images, repository,
 * history. Waits for a deploy in progress, so nothing is left half-deployed.
 */
export async function destroyApp(platform: Platform, app: AppRecord, onWait: () => void): Promise<void> {
  const lock = await platform.locks.acquire(appLockName(app.name), DESTROY_WAIT_MS, onWait);
  try {
    await platform.scheduler.discard(await platform.scheduler.containers(app.name, { oneOffs: true }));
    await unrouteApp(platform, app.name);
    await removeImageTags(platform, app.name);
    await platform.docker.removeVolume(cacheVolume(platform.settings.instance, app.name));
    removeRepo(platform.settings.reposDir, app.name);
    removeCertificate(platform.settings.certsDir, app.name);
    platform.state.apps.delete(app.name);
  } finally {
    await lock.release();
  }
}

/** Tags every release image of `from` under `to`'s repository; returns each release's new image. */
async function tagReleaseImages(platform: Platform, from: string, to: string): Promise<Map<number, string>> {
  const source = imageRepository(platform.settings.instance, from);
  const target = imageRepository(platform.settings.instance, to);
  const images = new Map<number, string>();
  for (const release of platform.state.releases.list(from)) {
    if (!release.image.startsWith(`${source}:`)) continue;
    const tag = release.image.slice(source.length + 1);
    images.set(release.version, `${target}:${tag}`);
    if (await platform.docker.imageExists(release.image)) await platform.docker.tagImage(release.image, target, tag);
  }
  return images;
}

/** By tag, not id: identical builds share image ids with other apps. */
async function removeImageTags(platform: Platform, app: string): Promise<void> {
  const repository = imageRepository(platform.settings.instance, app);
  for (const image of await platform.docker.listImages(repository)) {
    for (const tag of image.tags.filter((t) => t.startsWith(`${repository}:`))) await platform.docker.removeImage(tag);
  }
}

/**
 * Gives an app a new name, as Dokku's apps:rename: its containers stop, everything recorded
 * moves, release images are tagged under the new name, and the caller deploys it again.
 * The default domain follows the name; the app is down until that deploy is live.
 */
export async function renameApp(platform: Platform, app: AppRecord, newName: string | undefined, onWait: () => void): Promise<string> {
  const to = parseAppName(newName);
  const { state, docker, settings } = platform;
  if (state.apps.get(to)) throw new UserError(`Name ${to} is already taken`);
  const lock = await platform.locks.acquire(appLockName(app.name), DESTROY_WAIT_MS, onWait);
  try {
    const images = await tagReleaseImages(platform, app.name, to);
    await platform.scheduler.discard(await platform.scheduler.containers(app.name, { oneOffs: true }));
    await unrouteApp(platform, app.name);
    state.apps.rename(app.name, to, images);
    moveRepo(settings.reposDir, app.name, to);
    moveCertificate(settings.certsDir, app.name, to);
    await removeImageTags(platform, app.name);
    await docker.removeVolume(cacheVolume(settings.instance, app.name));
    return to;
  } finally {
    await lock.release();
  }
}

/** A new app with another's code, config and settings (not its domains, storage or grants). */
export async function cloneApp(platform: Platform, source: AppRecord, newName: string | undefined): Promise<AppRecord> {
  const { state, settings } = platform;
  const clone = await createApp(platform, newName);
  await copyRepo(settings.reposDir, source.name, clone.name);
  state.config.replace(clone.name, state.config.get(source.name));
  state.apps.setFormation(clone.name, source.formation);
  for (const [key, value] of Object.entries(state.properties.all(source.name))) {
    if (!NOT_CLONED.has(key)) state.properties.set(clone.name, key, value);
  }
  return state.apps.get(clone.name)!;
}

const LOCKED = 'deploy-locked';
/** Per-app settings that belong to the app itself, not to its code: a clone starts without them. */
const NOT_CLONED = new Set([APP_DOMAINS, STORAGE_PROPERTY, ROUTED, LOCKED]);

export function isLocked(platform: Platform, app: string): boolean {
  return platform.state.properties.get(app, LOCKED) === 'true';
}

/** apps:lock: deploys of new code are refused until apps:unlock; restarts and config go on. */
export function setLocked(platform: Platform, app: string, locked: boolean): void {
  platform.state.properties.set(app, LOCKED, locked ? 'true' : undefined);
}
