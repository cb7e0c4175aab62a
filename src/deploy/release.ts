import { LAUNCHER, releaseMetaSchema, type ReleaseMeta } from '../build/index.js';
import { UserError } from '../core/errors.js';
import { sleep } from '../core/process.js';
import type { Platform } from '../platform.js';
import { appDomains, appUrls } from '../proxy/domains.js';
import { processOptions } from '../runtime/process-options.js';
import type { ProcessContainer } from '../runtime/scheduler.js';
import { storageBinds } from '../storage/index.js';
import { GLOBAL_SCOPE, type Env, type Formation, type ReleaseRecord } from '../state/index.js';
import { checksModeFor, waitToRetireMs } from './checks-mode.js';
import type { DeployLog } from './log.js';
import { routeTo, unrouteApp } from './routes.js';

/** The process types a release runs, web first, with their counts and Procfile commands. */
export function processPlan(formation: Formation, meta: ReleaseMeta) {
  const types = meta.processes ? Object.keys(meta.processes).filter((t) => t !== 'release') : ['web'];
  return types
    .map((type) => ({ type, count: formation[type] ?? (type === 'web' ? 1 : 0), command: meta.processes?.[type] }))
    .filter((p) => p.count > 0)
    .sort((a, b) => Number(b.type === 'web') - Number(a.type === 'web'));
}

/** How a command runs in a release's image: buildpack images start it through their launcher. */
export function commandFor(meta: ReleaseMeta, command: string): string[] {
  return meta.builder === 'herokuish' ? [LAUNCHER, command] : ['/bin/sh', '-c', command];
}

/** Runs a one-off task of the release (release phase, app.json scripts); failure fails the deploy. */
async function runTask(platform: Platform, release: ReleaseRecord, env: Env, meta: ReleaseMeta, task: string, command: string, log: DeployLog) {
  log.step(`Running ${task} task: ${command}`);
  const code = await platform.scheduler.runOnce({
    app: release.app,
    image: release.image,
    cmd: commandFor(meta, command),
    env: { ...env, DYNO: `${task}.1` },
    binds: appBinds(platform, release.app),
    onLine: (line) => log.detail(line),
  });
  if (code !== 0) throw new UserError(`Execution of ${task} task failed (exit ${code})`);
}

/** The app's storage mounts, for every container of it. */
export function appBinds(platform: Platform, app: string): string[] {
  return storageBinds(platform.state, app, platform.settings.storageDir);
}

/** What a release's containers see: global config, then the release's own config, then ours. */
export function releaseEnv(platform: Platform, release: ReleaseRecord): Env {
  return {
    ...platform.state.config.get(GLOBAL_SCOPE),
    ...release.config,
    SLIPWAY_APP: release.app,
    SLIPWAY_RELEASE: `v${release.version}`,
    GIT_REV: release.rev ?? '',
  };
}

/**
 * Puts a release live. Per process type: start the new containers and check each; then
 * point nginx at the new web containers. Any failure before the swap discards the new
 * containers and the old ones keep serving. (A type whose checks are disabled stops its old
 * containers first, as in Dokku: that is downtime, by the user's choice.)
 * Returns the retirement of what ran before, for the caller to run once the app's lock is
 * released: it names exact containers, so a deploy that starts meanwhile is unaffected,
 * and the next push does not queue behind a drain.
 */
export async function deployRelease(platform: Platform, release: ReleaseRecord, log: DeployLog): Promise<() => Promise<void>> {
  const { app } = release;
  const { settings, scheduler, state } = platform;
  const meta = releaseMetaSchema.parse(release.meta);
  const plan = processPlan(state.apps.get(app)?.formation ?? { web: 1 }, meta);
  const env = releaseEnv(platform, release);
  const domains = appDomains(platform.state, settings, app);
  const previous = await scheduler.containers(app);
  const stoppedEarly = new Set<string>();
  const started: ProcessContainer[] = [];

  if (meta.predeploy) await runTask(platform, release, env, meta, 'predeploy', meta.predeploy, log);
  if (meta.processes?.release) await runTask(platform, release, env, meta, 'release', meta.processes.release, log);
  log.step(`Deploying ${app} (v${release.version})...`);
  try {
    for (const { type, count, command } of plan) {
      const mode = checksModeFor(state, app, type);
      const old = previous.filter((c) => c.process === type);
      if (mode === 'disabled' && old.length > 0) {
        log.detail(`Zero downtime is disabled, stopping currently running containers (${type})`);
        await scheduler.retire(old);
        old.forEach((c) => stoppedEarly.add(c.id));
      }
      log.step(`Deploying ${type} (count=${count})`);
      for (let index = 1; index <= count; index++) {
        const container = await scheduler.start({
          app,
          release: release.version,
          image: release.image,
          process: type,
          index,
          env,
          port: type === 'web' ? settings.defaultPort : undefined,
          cmd: command === undefined ? undefined : commandFor(meta, command),
          options: processOptions(state, app, type),
          binds: appBinds(platform, app),
        });
        started.push(container);
        if (mode === 'skipped') log.detail(`Skipping checks (${type}.${index})`);
        else await checkNewContainer(platform, container, { host: domains[0]!, checks: meta.healthchecks[type] ?? [] }, log);
      }
    }
    await routeTraffic(platform, app, started, log);
  } catch (error) {
    await scheduler.discard(started);
    throw error;
  }

  state.releases.setStatus(app, release.version, 'succeeded');
  if (meta.postdeploy) {
    // The release already serves: a failed postdeploy task is reported, not undone.
    await runTask(platform, release, env, meta, 'postdeploy', meta.postdeploy, log).catch((error: Error) => log.error(error.message));
  }
  log.section('Application deployed:');
  if (started.some((c) => c.process === 'web')) for (const url of appUrls(platform.state, settings, app)) log.detail(url);
  const toRetire = previous.filter((c) => !stoppedEarly.has(c.id));
  if (toRetire.length === 0) return async () => {};
  const drainMs = waitToRetireMs(state, app, settings.drainMs);
  log.detail(`Shutting down old containers in ${drainMs / 1000} seconds`);
  return async () => {
    await sleep(drainMs);
    await scheduler.retire(toRetire);
  };
}

async function routeTraffic(platform: Platform, app: string, started: ProcessContainer[], log: DeployLog): Promise<void> {
  const { settings } = platform;
  const web = started.filter((c) => c.process === 'web');
  if (web.length === 0) {
    if (await unrouteApp(platform, app)) log.detail('No web processes: removed the nginx configuration');
    return;
  }
  log.step(`Configuring ${appDomains(platform.state, settings, app).join(', ')}...`);
  const reloaded = await routeTo(platform, app, web);
  log.detail(reloaded ? 'Reloading nginx' : `Switched traffic to ${web.length} new container${web.length > 1 ? 's' : ''} (no reload)`);
}

async function checkNewContainer(
  platform: Platform,
  container: ProcessContainer,
  target: { host: string; checks: ReleaseMeta['healthchecks'][string] },
  log: DeployLog,
): Promise<void> {
  const label = `${container.process}.${container.index}`;
  const port = container.process === 'web' ? platform.settings.defaultPort : undefined;
  log.detail(`Attempting pre-flight checks (${label})`);
  const outcome = await platform.scheduler.check(container, { port, ...target }, (line) => log.detail(line));
  if (outcome.ok) {
    log.detail(`All checks successful (${label})`);
    return;
  }
  log.error(`Check failed (${label}): ${outcome.reason}`);
  const shortId = container.id.slice(0, 12);
  log.section(`Start of ${container.name} container output (${shortId} ${label})`);
  for (const line of await platform.scheduler.logs(container)) log.detail(line);
  log.section(`End of ${container.name} container output (${shortId} ${label})`);
  throw new UserError(`Could not start due to 1 failed checks (${label})`);
}
