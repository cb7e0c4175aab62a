import { isLocked } from '../apps/index.js';
import { requireSwarm, withTasks } from '../cluster/index.js';
import { checksLists, checksModeFor, waitToRetireMs } from '../deploy/checks-mode.js';
import { isSleeping, isStopped } from '../deploy/desired.js';
import type {
  AppDetailJson,
  AppJson,
  AppState,
  AppSummary,
  CertsJson,
  ChecksJson,
  DomainsJson,
  InstanceJson,
  KeyJson,
  NodeJson,
  ProcessesJson,
} from '../model/api.js';
import type { Platform } from '../platform.js';
import { describeCertificate } from '../proxy/certs.js';
import { appDomains, appUrls, globalDomains } from '../proxy/domains.js';
import { runningState, type Instance } from '../runtime/scheduler.js';
import { deployJson } from '../state/deploys.js';
import { releaseJson } from '../state/releases.js';

/**
 * The data the resources of /api/v1 answer, read from the state and the engine as the
 * commands' own `read`s do (never from what a command prints). Access is checked by the
 * routes before these run.
 */

/** The app's newest deploy in brief, running or not (what the apps list and the event stream show). */
export function latestDeploy(platform: Platform, app: string): AppSummary['deploy'] {
  const deploy = platform.state.deploys.latest(app);
  if (!deploy) return null;
  const { id, kind, status, release, started_at, finished_at } = deployJson(deploy);
  return { id, kind, status, release, started_at, finished_at };
}

/** The app's containers (tasks, on a swarm), by name; none asked for when it was never deployed or deploying. */
async function instancesOf(platform: Platform, app: string, deployed: boolean): Promise<Instance[]> {
  if (!deployed && !platform.state.deploys.latest(app)) return [];
  const instances = await platform.schedulerFor(app).instances(app);
  return instances.sort((a, b) => a.name.localeCompare(b.name));
}

function stateOf(deployed: boolean, stopped: boolean, sleeping: boolean, instances: Instance[]): AppState {
  if (!deployed) return 'undeployed';
  if (stopped) return 'stopped';
  // While it is being put to sleep its containers still drain: it says sleeping from the start, as ps:report does.
  if (sleeping) return 'sleeping';
  const running = runningState(instances);
  return running === 'true' ? 'running' : running === 'mixed' ? 'partial' : 'down';
}

export async function appJson(platform: Platform, app: string): Promise<AppJson> {
  const { state, settings } = platform;
  const release = state.releases.current(app)?.version ?? null;
  const stopped = isStopped(state, app);
  const instances = await instancesOf(platform, app, release !== null);
  return {
    name: app,
    state: stateOf(release !== null, stopped, isSleeping(state, app), instances),
    release,
    deploy: latestDeploy(platform, app),
    processes: {
      formation: state.apps.get(app)?.formation ?? {},
      total: instances.length,
      running: instances.filter((i) => i.running).length,
    },
    domains: appDomains(state, settings, app),
  };
}

export async function appDetailJson(platform: Platform, app: string): Promise<AppDetailJson> {
  const { state, settings } = platform;
  const current = state.releases.current(app);
  return {
    ...(await appJson(platform, app)),
    created_at: new Date(state.apps.get(app)?.createdAt ?? 0).toISOString(),
    locked: isLocked(platform, app),
    current_release: current ? releaseJson(current, current.version) : null,
    urls: appUrls(state, settings, app),
  };
}

function instanceJson(instance: Instance): InstanceJson {
  return {
    name: `${instance.process}.${instance.index}`,
    process: instance.process,
    index: instance.index,
    release: instance.release,
    state: instance.running ? 'running' : instance.restarting ? 'restarting' : 'stopped',
    id: instance.id,
    node: instance.node ?? null,
  };
}

export async function processesJson(platform: Platform, app: string): Promise<ProcessesJson> {
  const { state } = platform;
  const deployed = state.releases.current(app) !== undefined;
  const instances = await instancesOf(platform, app, deployed);
  return {
    formation: state.apps.get(app)?.formation ?? {},
    deployed,
    stopped: isStopped(state, app),
    sleeping: isSleeping(state, app),
    running: runningState(instances),
    instances: instances.map(instanceJson),
  };
}

export function domainsJson(platform: Platform, app: string): DomainsJson {
  const { state, settings } = platform;
  return {
    domains: appDomains(state, settings, app),
    global: globalDomains(state, settings),
    urls: appUrls(state, settings, app),
  };
}

export function keysJson(platform: Platform): KeyJson[] {
  return platform.state.keys.list().map((k) => ({ name: k.name, fingerprint: k.fingerprint, admin: k.isAdmin }));
}

export async function nodesJson(platform: Platform): Promise<NodeJson[]> {
  const nodes = await withTasks(platform, await requireSwarm(platform));
  return nodes.map(({ engineVersion, version: _version, ...node }) => ({ ...node, engine_version: engineVersion }));
}

export function checksJson(platform: Platform, app: string): ChecksJson {
  const { state, settings } = platform;
  return {
    ...checksLists(state, app),
    web: checksModeFor(state, app, 'web'),
    wait_to_retire_seconds: waitToRetireMs(state, app, settings.drainMs) / 1000,
  };
}

export function certsJson(platform: Platform, app: string): CertsJson {
  const info = describeCertificate(platform.settings.certsDir, app);
  if (!info) return { enabled: false, certificate: null };
  const { hostnames, subject, issuer, startsAt, expiresAt, selfSigned } = info;
  return {
    enabled: true,
    certificate: { hostnames, subject, issuer, starts_at: startsAt, expires_at: expiresAt, self_signed: selfSigned },
  };
}
