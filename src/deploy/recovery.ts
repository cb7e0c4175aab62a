import fs from 'node:fs';
import path from 'node:path';
import { removeLeftBuilds } from '../builder/index.js';
import { format } from '../core/output.js';
import type { Platform } from '../platform.js';
import { appLockName } from '../queue/locks.js';
import type { DeployRecord } from '../state/index.js';
import type { Log } from '../core/log.js';
import { isMarkedTrying, markTrying } from './desired.js';

const INTERRUPTED = 'Interrupted: the Slipway process running this deploy stopped before it finished';

/**
 * At daemon start (once the locks of dead processes are released and the daemon has its
 * seat), closes what a crash left open, before anything new is taken on: deploys that no live process
 * works on are marked failed with the reason in their log (a live deploy that was only
 * retiring the old release stays succeeded), their followers get the end, their pending
 * release is marked failed, queued jobs whose requester went with the daemon never run, the
 * mark of a deploy trying containers is lifted (else their crashes would go untold until it
 * expires), and build archives nobody will read and build containers nobody will use are removed.
 */
export async function closeInterruptedWork(platform: Platform, log: Log): Promise<void> {
  for (const deploy of platform.state.deploys.unfinished()) {
    if (await liveProcessHas(platform, deploy.app)) continue;
    await closeDeploy(platform, deploy);
    log(`closed interrupted deploy ${deploy.id} of ${deploy.app}`);
  }
  for (const { name } of platform.state.apps.list()) {
    if (!isMarkedTrying(platform.state, name) || (await liveProcessHas(platform, name))) continue;
    markTrying(platform.state, name, []);
    log('a deploy that stopped with its process no longer marks containers as its own', { app: name });
  }
  await removeStaleArchives(platform);
  const removed = await removeLeftBuilds(platform, (app) => liveProcessHas(platform, app));
  if (removed > 0) log(`removed ${removed} build container(s) left by a process that stopped`);
}

/** Whether a live process (a worker) holds the app's lock: what it is doing is not left over. */
const liveProcessHas = (platform: Platform, app: string) => platform.locks.isHeld(appLockName(app));

async function closeDeploy(platform: Platform, deploy: DeployRecord): Promise<void> {
  const { state, logs } = platform;
  await platform.queue.discard(deploy.id).catch(() => false);
  const live = deploy.status === 'succeeded';
  const line = live
    ? format.error(`${INTERRUPTED}; the release is live, the old containers are retired by the reconciler`)
    : format.error(INTERRUPTED);
  logs.append(deploy.id, line); // written before the read below: one connection keeps the order
  state.deploys.finish(deploy.id, {
    status: live ? 'succeeded' : 'failed',
    error: INTERRUPTED,
    log: (await logs.lines(deploy.id)).join('\n'),
  });
  if (deploy.release !== null && state.releases.get(deploy.app, deploy.release)?.status === 'pending') {
    state.releases.setStatus(deploy.app, deploy.release, 'failed');
  }
  if (!live) await logs.result(deploy.id, { ok: false, message: INTERRUPTED });
  await logs.end(deploy.id);
}

/** Build archives of apps no live process is deploying: their deploys are closed. */
async function removeStaleArchives(platform: Platform): Promise<void> {
  const { buildsDir } = platform.settings;
  const names = fs.existsSync(buildsDir) ? fs.readdirSync(buildsDir).filter((name) => name.endsWith('.tar')) : [];
  const apps = platform.state.apps.list().map((a) => a.name);
  for (const name of names) {
    // `<app>-<rev>-<random>.tar`, as git/archive.ts names them
    const app = apps.find(
      (a) => name.startsWith(`${a}-`) && /^[0-9a-f]{1,12}-[0-9a-f]{8}\.tar$/.test(name.slice(a.length + 1)),
    );
    if (app && (await liveProcessHas(platform, app))) continue;
    fs.rmSync(path.join(buildsDir, name), { force: true });
  }
}
