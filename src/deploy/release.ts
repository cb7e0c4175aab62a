import { UserError } from '../core/errors.js';
import { sleep } from '../core/process.js';
import type { ProgressLog } from '../model/progress.js';
import { commandFor, releaseMetaSchema, type ReleaseMeta } from '../model/release.js';
import type { Platform } from '../platform.js';
import { appDomains, appUrls } from '../proxy/domains.js';
import { isProxyEnabled } from '../proxy/enabled.js';
import { webPort } from '../proxy/ports.js';
import type { Instance, OneOffSpec } from '../runtime/scheduler.js';
import { storageBinds } from '../storage/index.js';
import { GLOBAL_SCOPE, type Env, type Formation, type ReleaseRecord } from '../state/index.js';
import { checksModeFor, waitToRetireMs } from './checks-mode.js';
import { markRetiring, markSleeping, markStopped, markTrying, RETIRE_MARGIN_MS } from './desired.js';
import { processOptions } from './process-options.js';
import { revEnvVarOf } from '../git/settings.js';
import { parkApp, routeTo, routeToRunning } from './routes.js';

/** Longer than any deploy takes to start and check its containers. */
const TRY_LIMIT_MS = 60 * 60_000;
/** Long enough for the engine to report the discarded containers' deaths. */
const DISCARD_NOTICE_MS = 60_000;
const WATCH_POLL_MS = 100;

/** The process types a release runs, web first, with their counts and Procfile commands. */
export function processPlan(formation: Formation, meta: ReleaseMeta) {
  const types = meta.processes ? Object.keys(meta.processes).filter((t) => t !== 'release') : ['web'];
  return types
    .map((type) => ({ type, count: formation[type] ?? (type === 'web' ? 1 : 0), command: meta.processes?.[type] }))
    .filter((p) => p.count > 0)
    .sort((a, b) => Number(b.type === 'web') - Number(a.type === 'web'));
}

/** Runs a one-off task of the release (release phase, app.json scripts); failure fails the deploy. */
async function runTask(
  platform: Platform,
  release: ReleaseRecord,
  env: Env,
  meta: ReleaseMeta,
  task: 'predeploy' | 'release' | 'postdeploy',
  command: string,
  log: ProgressLog,
) {
  log.step(`Checking for ${task} task`);
  log.detail(taskLine(task, command));
  const code = await platform.schedulerFor(release.app).runOnce(
    {
      app: release.app,
      image: release.image,
      cmd: commandFor(meta, command),
      env: { ...env, DYNO: `${task}.1` },
      binds: appBinds(platform, release.app),
      timeoutMs: platform.settings.buildTimeoutMs,
    },
    { onLine: (line) => log.output(line) },
  );
  if (code !== 0) {
    log.detail(`The ${task} task exited with code ${code}`);
    throw new UserError(`Execution of ${task} task failed: ${command}`);
  }
}

/**
 * Dokku's line for a task it runs, word for word (scripts look for it): the release task comes
 * from the Procfile, the others from app.json.
 */
export function taskLine(task: 'predeploy' | 'release' | 'postdeploy', command: string): string {
  const source = task === 'release' ? 'Procfile' : 'app.json';
  const where = task === 'predeploy' ? '' : ' in ephemeral container';
  return `Executing ${task} task from ${source}${where}: ${command}`;
}

/** The app's storage mounts, for every container of it. */
export function appBinds(platform: Platform, app: string): string[] {
  return storageBinds(platform.state, app, platform.settings.storageDir);
}

/**
 * What a release's containers see: global config, then the release's own config (with its
 * commit under rev-env-var, for releases made before deploys put it there), then ours.
 */
export function releaseEnv(platform: Platform, release: ReleaseRecord): Env {
  const revVar = revEnvVarOf(platform, release.app);
  return {
    ...platform.state.config.get(GLOBAL_SCOPE),
    ...release.config,
    ...(revVar && release.rev ? { [revVar]: release.rev } : {}),
    SLIPWAY_APP: release.app,
    SLIPWAY_RELEASE: `v${release.version}`,
  };
}

/**
 * A one-off of the app's current release (run, run:detached, cron): its image, the app's
 * config as it is now (even if changed with --no-restart since the release), `extraEnv` on
 * top. `command` is a Procfile process type or a command for the image's shell.
 */
export function currentReleaseOneOff(
  platform: Platform,
  app: string,
  command: string,
  extraEnv: Env & { DYNO: string },
): OneOffSpec & { procfile: boolean } {
  const current = platform.state.releases.current(app);
  if (!current) throw new UserError(`${app} has not been deployed yet`);
  const meta = releaseMetaSchema.parse(current.meta);
  const procfileCommand = meta.processes?.[command];
  return {
    app,
    image: current.image,
    cmd: commandFor(meta, procfileCommand ?? command),
    env: { ...releaseEnv(platform, { ...current, config: platform.state.config.get(app) }), ...extraEnv },
    binds: appBinds(platform, app),
    procfile: procfileCommand !== undefined,
  };
}

/**
 * Puts a release live. Per process type: start the new containers and check each; then
 * point nginx at the new web containers. Any failure before the swap discards the new
 * containers and the old ones keep serving. (A type whose checks are disabled stops its old
 * containers first, as in Dokku: that is downtime, by the user's choice.)
 * Returns the retirement of what ran before, for the caller to run once the app's lock is
 * released: it names exact containers, so a deploy that starts meanwhile is unaffected,
 * and the next push does not queue behind a drain. `tasks: false` (a sleeping app woken):
 * the release's tasks (predeploy, release, postdeploy) ran when it was released, and are not
 * run again.
 */
export async function deployRelease(
  platform: Platform,
  release: ReleaseRecord,
  log: ProgressLog,
  options: { tasks?: boolean } = {},
): Promise<() => Promise<void>> {
  const { app } = release;
  const { settings, state } = platform;
  const scheduler = platform.schedulerFor(app);
  const meta = releaseMetaSchema.parse(release.meta);
  const plan = processPlan(state.apps.get(app)?.formation ?? { web: 1 }, meta);
  const env = releaseEnv(platform, release);
  const domains = appDomains(platform.state, settings, app);
  const previous = await scheduler.instances(app);
  const stoppedEarly = new Set<string>();
  const started: Instance[] = [];
  const tasks = options.tasks ?? true;

  if (tasks && meta.predeploy) await runTask(platform, release, env, meta, 'predeploy', meta.predeploy, log);
  if (tasks && meta.processes?.release)
    await runTask(platform, release, env, meta, 'release', meta.processes.release, log);
  log.step(`Deploying ${app} (v${release.version})...`);
  const before = previous.map((i) => i.id);
  markTrying(state, app, before, Date.now() + TRY_LIMIT_MS);
  try {
    for (const { type, count, command } of plan) {
      const mode = checksModeFor(state, app, type);
      const old = previous.filter((i) => i.process === type);
      if (mode === 'disabled' && old.length > 0) {
        log.detail(`Zero downtime is disabled, stopping currently running containers (${type})`);
        markRetiring(
          state,
          app,
          old.map((i) => i.id),
          Date.now() + settings.stopTimeoutSeconds * 1000 + RETIRE_MARGIN_MS,
        );
        await scheduler.retire(old);
        old.forEach((i) => stoppedEarly.add(i.id));
      }
      log.step(`Deploying ${type} (count=${count})`);
      const spec = {
        app,
        release: release.version,
        image: release.image,
        process: type,
        env,
        port: type === 'web' ? webPort(state, settings, app, meta) : undefined,
        cmd: command === undefined ? undefined : commandFor(meta, command),
        options: processOptions(state, app, type),
        binds: appBinds(platform, app),
        publish: type === 'web' && !isProxyEnabled(state, app),
      };
      started.push(
        ...(await scheduler.deploy(
          spec,
          count,
          { skip: mode === 'skipped', host: domains[0], checks: meta.healthchecks[type] ?? [] },
          log,
        )),
      );
    }
    const oldWeb = previous.filter((i) => i.process === 'web' && i.endpoint && !stoppedEarly.has(i.id));
    await routeTraffic(platform, app, started, oldWeb, log);
    // Its requests go to these containers now: a sleeping app is awake from here.
    markSleeping(state, app, false);
    log.mark('routed');
    announceLive(platform, app, started, oldWeb, log);
    await watchAfterSwap(platform, app, started, oldWeb, log);
  } catch (error) {
    // What it started goes by design: the deploy's failure tells of it, not app.crashed.
    markTrying(state, app, before, Date.now() + DISCARD_NOTICE_MS);
    await scheduler.discard(started);
    throw error;
  }
  markTrying(state, app, before);

  state.releases.setStatus(app, release.version, 'succeeded');
  markStopped(state, app, false);
  if (tasks && meta.postdeploy) {
    // The release already serves: a failed postdeploy task is reported, not undone.
    await runTask(platform, release, env, meta, 'postdeploy', meta.postdeploy, log).catch((error: Error) =>
      log.error(error.message),
    );
  }
  log.section('Application deployed:');
  if (started.some((i) => i.process === 'web'))
    for (const url of appUrls(platform.state, settings, app)) log.detail(url);
  const toRetire = previous.filter((i) => !stoppedEarly.has(i.id));
  if (toRetire.length === 0) return async () => {};
  const drainMs = waitToRetireMs(state, app, settings.drainMs);
  // The stop itself may take its grace period too; until then the reconciler leaves them be.
  markRetiring(
    state,
    app,
    toRetire.map((i) => i.id),
    Date.now() + drainMs + settings.stopTimeoutSeconds * 1000 + RETIRE_MARGIN_MS,
  );
  log.detail(`Shutting down old containers in ${drainMs / 1000} seconds`);
  return async () => {
    await sleep(drainMs);
    await scheduler.retire(toRetire);
  };
}

/**
 * The new release serves from the swap on: say where at once, and what the watch's seconds
 * before the push returns are for (the push still fails if a new container goes down).
 */
function announceLive(
  platform: Platform,
  app: string,
  started: Instance[],
  oldWeb: Instance[],
  log: ProgressLog,
): void {
  const { watchMs } = platform.settings;
  const [url] = started.some((i) => i.process === 'web') ? appUrls(platform.state, platform.settings, app) : [];
  if (url) log.step(`Live at ${url}`);
  if (watchMs <= 0) return;
  const fallback = oldWeb.length > 0 ? 'traffic goes back to the previous release and ' : '';
  log.detail(`Watching the new containers for ${watchMs / 1000} s: if one goes down, ${fallback}the deploy fails`);
}

/**
 * For a watch window after the swap the old containers stay ready, as the fallback of every
 * request that fails on a new one: a new one that exits or restarts meanwhile (an app that
 * crashes just after its checks) sends traffic straight back to them, and the release fails,
 * so the old one stays current. After the window the fallback is dropped (no reload).
 */
async function watchAfterSwap(
  platform: Platform,
  app: string,
  started: Instance[],
  oldWeb: Instance[],
  log: ProgressLog,
): Promise<void> {
  const { watchMs } = platform.settings;
  const web = started.filter((i) => i.process === 'web');
  const scheduler = platform.schedulerFor(app);
  for (const deadline = Date.now() + watchMs; Date.now() < deadline; await sleep(WATCH_POLL_MS)) {
    for (const instance of started) {
      const down = await scheduler.health(instance);
      if (down === undefined) continue;
      const label = `${instance.process}.${instance.index}`;
      if (oldWeb.length > 0)
        await routeToRunning(
          platform,
          app,
          oldWeb.map((i) => i.id),
        );
      log.error(`${label} went down within ${watchMs / 1000} s of the swap: ${down}`);
      throw new UserError(
        `${label} did not stay up after the swap${oldWeb.length > 0 ? '; traffic is back on the previous release' : ''}`,
      );
    }
  }
  if (web.length > 0 && oldWeb.length > 0) await routeTo(platform, app, web);
}

async function routeTraffic(
  platform: Platform,
  app: string,
  started: Instance[],
  fallback: Instance[],
  log: ProgressLog,
): Promise<void> {
  const { settings } = platform;
  const web = started.filter((c) => c.process === 'web');
  if (web.length === 0) {
    if (await parkApp(platform, app)) log.detail('No web processes: its domains answer 502');
    return;
  }
  log.step(`Configuring ${appDomains(platform.state, settings, app).join(', ')}...`);
  const reloaded = await routeTo(platform, app, web, { fallback });
  log.detail(
    reloaded
      ? 'Reloading nginx'
      : `Switched traffic to ${web.length} new container${web.length > 1 ? 's' : ''} (no reload)`,
  );
}
