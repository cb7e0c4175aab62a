import { UserError } from '../core/errors.js';
import { sleep } from '../core/process.js';
import type { Platform } from '../platform.js';
import { appDomains, appUrls } from '../proxy/domains.js';
import type { ProcessContainer } from '../runtime/scheduler.js';
import type { ReleaseRecord } from '../state/index.js';
import type { DeployLog } from './log.js';

/**
 * Puts a release live: start its containers, check each, point nginx at them. On any
 * failure before the swap, the new containers go and the old ones keep serving.
 * Returns the retirement of what ran before, for the caller to run once the app's lock is
 * released: it names exact containers, so a deploy that starts meanwhile is unaffected,
 * and the next push does not queue behind a drain.
 */
export async function deployRelease(platform: Platform, release: ReleaseRecord, log: DeployLog): Promise<() => Promise<void>> {
  const { app } = release;
  const { settings, scheduler, state } = platform;
  const previous = await scheduler.containers(app);
  const started: ProcessContainer[] = [];
  const formation = [{ process: 'web', count: 1 }];

  log.step(`Deploying ${app} (v${release.version})...`);
  try {
    for (const { process, count } of formation) {
      log.step(`Deploying ${process} (count=${count})`);
      for (let index = 1; index <= count; index++) {
        const container = await scheduler.start({
          app,
          release: release.version,
          image: release.image,
          process,
          index,
          env: { SLIPWAY_APP: app, SLIPWAY_RELEASE: `v${release.version}` },
          port: settings.defaultPort,
        });
        started.push(container);
        await checkContainer(platform, container, log);
      }
    }
    const domains = appDomains(settings, app);
    log.step(`Configuring ${domains.join(', ')}...`);
    const backends = started
      .filter((c) => c.process === 'web')
      .map((c) => ({ host: c.ip, port: settings.defaultPort }));
    const reloaded = await platform.nginx.applyApp({ app, httpPort: settings.httpPort, domains, backends });
    log.detail(reloaded ? 'Reloading nginx' : 'nginx configuration unchanged');
  } catch (error) {
    await scheduler.discard(started);
    throw error;
  }

  state.releases.setStatus(app, release.version, 'succeeded');
  log.section('Application deployed:');
  for (const url of appUrls(settings, app)) log.detail(url);
  if (previous.length === 0) return async () => {};
  log.detail(`Shutting down old containers in ${settings.drainMs / 1000} seconds`);
  return async () => {
    await sleep(settings.drainMs);
    await scheduler.retire(previous);
  };
}

async function checkContainer(platform: Platform, container: ProcessContainer, log: DeployLog): Promise<void> {
  const label = `${container.process}.${container.index}`;
  log.detail(`Attempting pre-flight checks (${label})`);
  const outcome = await platform.scheduler.check(container, platform.settings.defaultPort);
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
