import { ConflictError, errorMessage, EXIT_APP_MISSING, NotFoundError, UserError } from '../core/errors.js';
import { parseAppName } from '../core/names.js';
import { ensureRepo } from '../git/repos.js';
import { refuseDashboardName } from '../proxy/domains.js';
import type { Platform } from '../platform.js';
import { appLockName, oneOffsLockName } from '../queue/locks.js';
import { GLOBAL_SCOPE, type AppRecord } from '../state/index.js';
import { renamedReleaseImages } from '../builder/images.js';

const DESTROY_WAIT_MS = 10 * 60_000;

/**
 * What a namespace does when an app is destroyed, renamed or cloned, as Dokku's plugins do
 * in their lifecycle triggers. The database rows move or go in one transaction by
 * themselves; the hooks look after everything kept elsewhere (containers, routes, images,
 * repositories, certificates). Hooks run in registration order.
 */
export interface AppLifecycle {
  /** The app was just created (apps:create, a first push, a clone). */
  create?(platform: Platform, app: string): Promise<void>;
  /** Before the app's records go: stop it and remove what is kept for it outside the database. */
  destroy?(platform: Platform, app: string): Promise<void>;
  /** Before the records move to the new name: stop serving under the old one. */
  beforeRename?(platform: Platform, from: string, to: string): Promise<void>;
  /** After the records moved: move what is kept outside the database. */
  rename?(platform: Platform, from: string, to: string): Promise<void>;
  /** `to` was just created as a copy of `from`: copy what this namespace keeps. */
  clone?(platform: Platform, from: string, to: string): Promise<void>;
  /** Per-app properties of this namespace that belong to the app itself: a clone starts without them. */
  notCloned?: string[];
}

/** The app by name, or Dokku's "does not exist" (exit 20) for a valid name that is not there. */
export function requireApp(platform: Platform, name: string | undefined): AppRecord {
  const app = platform.state.apps.get(parseAppName(name));
  if (!app) throw new NotFoundError(`App ${name} does not exist`, EXIT_APP_MISSING);
  return app;
}

export async function createApp(
  platform: Platform,
  name: string | undefined,
  hooks: AppLifecycle[],
): Promise<AppRecord> {
  const app = parseAppName(name);
  refuseDashboardName(platform.state, platform.settings, app);
  if (!platform.state.apps.create(app)) throw new ConflictError('Name is already taken');
  await ensureRepo(platform.settings.reposDir, app);
  await runHooks(hooks, (hook) => hook.create?.(platform, app));
  return platform.state.apps.get(app)!;
}

async function runHooks(hooks: AppLifecycle[], call: (hook: AppLifecycle) => Promise<void> | undefined): Promise<void> {
  for (const hook of hooks) await call(hook);
}

/**
 * Removes an app and everything it owns. Waits for a deploy in progress, so nothing is
 * left half-deployed, and holds off one-offs (cron runs included) for the whole time, so
 * none starts while its containers and network go; the records go last, once nothing
 * outside them is left. When a step fails the app stays, and destroying it again goes on.
 */
export function destroyApp(
  platform: Platform,
  app: AppRecord,
  hooks: AppLifecycle[],
  onWait: () => void,
): Promise<void> {
  return whileAppHeld(platform, app.name, onWait, async () => {
    try {
      await runHooks(hooks, (hook) => hook.destroy?.(platform, app.name));
    } catch (error) {
      throw new UserError(
        `${app.name} was not destroyed entirely (${errorMessage(error)}): it stays until apps:destroy removes the rest`,
      );
    }
    platform.state.apps.delete(app.name);
  });
}

/** Runs `fn` holding the app's lock (no deploy runs) and its one-offs lock (no one-off or cron run starts). */
async function whileAppHeld<T>(platform: Platform, app: string, onWait: () => void, fn: () => Promise<T>): Promise<T> {
  const lock = await platform.locks.acquire(appLockName(app), DESTROY_WAIT_MS, onWait);
  try {
    return await platform.locks.withLock(oneOffsLockName(app), DESTROY_WAIT_MS, fn);
  } finally {
    await lock.release();
  }
}

/**
 * Gives an app a new name, as Dokku's apps:rename: it stops, everything recorded moves in
 * one transaction (release images under their new names), and the caller deploys it again.
 * The default domain follows the name; the app is down until that deploy is live.
 */
export async function renameApp(
  platform: Platform,
  app: AppRecord,
  newName: string | undefined,
  hooks: AppLifecycle[],
  onWait: () => void,
): Promise<string> {
  const to = parseAppName(newName);
  const { state } = platform;
  refuseDashboardName(state, platform.settings, to);
  if (state.apps.get(to)) throw new ConflictError(`Name ${to} is already taken`);
  return whileAppHeld(platform, app.name, onWait, async () => {
    await runHooks(hooks, (hook) => hook.beforeRename?.(platform, app.name, to));
    state.apps.rename(app.name, to, renamedReleaseImages(platform, app.name, to));
    await runHooks(hooks, (hook) => hook.rename?.(platform, app.name, to));
    return to;
  });
}

/** A new app with another's code, config and settings (not what belongs to the app itself: domains, storage, grants). */
export async function cloneApp(
  platform: Platform,
  source: AppRecord,
  newName: string | undefined,
  hooks: AppLifecycle[],
): Promise<AppRecord> {
  const { state } = platform;
  const clone = await createApp(platform, newName, hooks);
  const notCloned = new Set(hooks.flatMap((hook) => hook.notCloned ?? []));
  for (const [key, value] of Object.entries(state.properties.all(source.name))) {
    if (!notCloned.has(key)) state.properties.set(clone.name, key, value);
  }
  await runHooks(hooks, (hook) => hook.clone?.(platform, source.name, clone.name));
  return state.apps.get(clone.name)!;
}

export const LOCKED_PROPERTY = 'apps.locked';
const AUTOCREATION_PROPERTY = 'apps.disable-autocreation';

/** Whether a push to an app that does not exist creates it (the default, as in Dokku). */
export const autocreates = (platform: Platform) =>
  platform.state.properties.get(GLOBAL_SCOPE, AUTOCREATION_PROPERTY) !== 'true';

/** `apps:set --global disable-autocreation true|false`. */
export function setAutocreationDisabled(platform: Platform, scope: string, value: string | undefined): void {
  if (scope !== GLOBAL_SCOPE)
    throw new UserError('Property can only be specified globally: give --global disable-autocreation');
  if (value !== undefined && value !== 'true' && value !== 'false')
    throw new UserError('Invalid disable-autocreation: give true or false');
  platform.state.properties.set(GLOBAL_SCOPE, AUTOCREATION_PROPERTY, value);
}

export function isLocked(platform: Platform, app: string): boolean {
  return platform.state.properties.get(app, LOCKED_PROPERTY) === 'true';
}

/** apps:lock: deploys of new code are refused until apps:unlock; restarts and config go on. */
export function setLocked(platform: Platform, app: string, locked: boolean): void {
  platform.state.properties.set(app, LOCKED_PROPERTY, locked ? 'true' : undefined);
}
