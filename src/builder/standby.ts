import { containerLabels, LABEL } from '../model/labels.js';
import { StandbyGoneError, type CompletionSpec, type DockerEngine, type OneOffSpec } from '../runtime/docker/index.js';

/**
 * Build containers started ahead of an app's next push. Creating and starting a container
 * is most of a warm buildpack compile's overhead (about 0.6 s on a 2-core host, against
 * about 0.1 s for an exec), so after each compile the next one's container is started and
 * left waiting, and the next compile is exec'd into it. A standby serves one compile and is
 * removed after it, as a compile container always was: nothing carries from one build to the
 * next. One that waits IDLE_SECONDS ends by itself and the engine removes it, so none is kept
 * for an app nobody pushes to, and one left by a daemon that died costs nothing for long.
 */
const IDLE_SECONDS = 15 * 60;
/** A standby this close to its end is not used: it could end under the compile. */
const MARGIN_MS = 60_000;
/** Started this long after a compile, off the deploy's own container start. */
const START_DELAY_MS = 3_000;
/** A claimed standby's life when the compile has no time limit of its own. */
const DEFAULT_CLAIMED_MS = 3_600_000;
/**
 * The standby's command, run by bash with its limits as arguments (no value is put into the
 * script). A compile puts the source in /app, empty in the build image: from then on the
 * standby lives for the compile's time limit, not its idle time. It looks every 5 s: the
 * margin above covers the last look.
 */
const WAIT_SCRIPT = [
  'claimed() { [ -n "$(ls -A /app)" ]; }',
  'for ((waited = 0; waited < $1; waited += 5)); do claimed && exec sleep "$2"; sleep 5; done',
  'claimed && exec sleep "$2"',
].join('\n');

interface Standby {
  id: string;
  /** What it was started as (image, mounts, labels): only a compile that asks for the same may use it. */
  key: string;
  idleUntil: number;
}

interface Slot {
  ready?: Standby;
  /** The next standby, to start when its timer fires (a compile that comes first starts it at once). */
  next?: { key: string; timer: NodeJS.Timeout; start: () => void };
  starting?: Promise<void>;
  /** The app's standbys were discarded: one still starting is removed at once. */
  discarded?: boolean;
}

/** By `<instance>/<app>`: one standby at most per app. */
const slots = new Map<string, Slot>();
const slotName = (where: BuildOf) => `${where.instance}/${where.app}`;

const slotOf = (where: BuildOf) => {
  if (!slots.has(slotName(where))) slots.set(slotName(where), {});
  return slots.get(slotName(where))!;
};

/** Which app's build a container is for. */
interface BuildOf {
  instance: string;
  app: string;
}

/** What every build container (a compile, a standby) of an instance is labelled. */
const anyAppLabels = (instance: string) => ({ [LABEL.instance]: instance, [LABEL.process]: 'build' });

/** What an app's build containers are labelled: the labels that find them to remove them. */
const findLabels = (where: BuildOf) => ({ ...anyAppLabels(where.instance), [LABEL.app]: where.app });

/** The labels of an app's build containers: a one-off, so no deploy takes it for a process. */
export const buildContainerLabels = (where: BuildOf) =>
  containerLabels({ ...findLabels(where), [LABEL.oneOff]: 'true' });

/** The parts of a one-off that are fixed when its container is made; the rest comes with the exec. */
const keyOf = (spec: OneOffSpec) => JSON.stringify([spec.image, spec.binds, spec.labels, spec.network, spec.pidsLimit]);

/**
 * Runs a build one-off to completion in the app's standby when there is one made for the
 * same container, else in a new container, and starts the standby for the next. `spec.image`
 * should be an image id, so a rebuilt stack image is never run from an old standby.
 */
export async function runBuildOneOff(
  docker: DockerEngine,
  where: BuildOf,
  spec: OneOffSpec & CompletionSpec,
): Promise<number> {
  const slot = slotOf(where);
  const key = keyOf(spec);
  const standby = await take(docker, slot, key);
  try {
    if (standby) {
      try {
        return await docker.oneOffs.runInStandby(standby.id, spec);
      } catch (error) {
        if (!(error instanceof StandbyGoneError)) throw error;
      }
    }
    return await docker.oneOffs.runToCompletion(spec);
  } finally {
    prepareNext(docker, slot, key, spec);
  }
}

/** Removes an app's standbys, this process's and any other's: before its cache volume goes. */
export async function discardStandbys(docker: DockerEngine, where: BuildOf): Promise<void> {
  const slot = slotOf(where);
  slots.delete(slotName(where));
  slot.discarded = true;
  clearTimeout(slot.next?.timer);
  await slot.starting;
  for (const container of await docker.containers.list(findLabels(where)))
    await docker.containers.stopAndRemove(container.id, 0);
}

/**
 * Removes the build containers a process that died left behind: a compile it was running
 * (which would go on to its end), its standbys, one it was to remove a moment later. For
 * daemon start, before any build of this process; apps a live process is building are
 * passed over (`building`). Returns how many went.
 */
export async function removeLeftBuildContainers(
  docker: DockerEngine,
  instance: string,
  building: (app: string) => Promise<boolean>,
): Promise<number> {
  let removed = 0;
  for (const container of await docker.containers.list(anyAppLabels(instance))) {
    const app = container.labels[LABEL.app];
    if (app === undefined || (await building(app))) continue;
    await docker.containers.stopAndRemove(container.id, 0);
    removed++;
  }
  return removed;
}

/** The slot's standby if it suits `key`; one still to start is started now, one starting is waited for. */
async function take(docker: DockerEngine, slot: Slot, key: string): Promise<Standby | undefined> {
  const next = slot.next;
  slot.next = undefined;
  clearTimeout(next?.timer);
  if (next?.key === key) next.start();
  await slot.starting;
  const standby = slot.ready;
  slot.ready = undefined;
  if (standby && standby.key === key && standby.idleUntil - Date.now() > MARGIN_MS) return standby;
  if (standby) removeQuietly(docker, standby.id);
  return undefined;
}

function prepareNext(docker: DockerEngine, slot: Slot, key: string, spec: OneOffSpec & CompletionSpec): void {
  const claimedSeconds = Math.ceil((spec.timeoutMs ?? DEFAULT_CLAIMED_MS) / 1000);
  const cmd = ['/bin/bash', '-c', WAIT_SCRIPT, 'standby', String(IDLE_SECONDS), String(claimedSeconds)];
  const start = () => {
    const startedAt = Date.now();
    slot.starting = docker.oneOffs.startStandby({ ...spec, name: undefined, cmd, env: {} }).then(
      (id) => {
        if (slot.discarded) return removeQuietly(docker, id);
        if (slot.ready) removeQuietly(docker, slot.ready.id);
        slot.ready = { id, key, idleUntil: startedAt + IDLE_SECONDS * 1000 };
      },
      () => {}, // a standby only saves time: the next compile starts its own container
    );
  };
  clearTimeout(slot.next?.timer);
  const timer = setTimeout(() => {
    slot.next = undefined;
    start();
  }, START_DELAY_MS);
  timer.unref();
  slot.next = { key, timer, start };
}

const removeQuietly = (docker: DockerEngine, id: string) => void docker.containers.stopAndRemove(id, 0).catch(() => {});
