/**
 * Pure: what the local scheduler asks Docker for, from what should run. Names, labels,
 * environment, limits, mounts and networks are decided here and nowhere else.
 */
import { containerLabels, LABEL } from '../../model/labels.js';
import type { ContainerSpec, OneOffSpec as DockerOneOffSpec } from '../docker/index.js';
import type { OneOffSpec, ProcessSpec } from '../scheduler.js';
import type { ServiceSpec } from '../services.js';

export interface LocalTarget {
  instance: string;
  /** At most this many processes in any one container: a fork bomb stays inside its own. */
  pidsLimit: number;
}

/** `<instance>.<app>.<dyno>.<suffix>`, so `docker ps` reads like the app's processes. */
export function processContainerName(target: LocalTarget, app: string, dyno: string, suffix: string): string {
  return `${appContainerPrefix(target, app)}${dyno}.${suffix}`;
}

/** How the names of an app's containers begin: only Slipway names containers. */
export const appContainerPrefix = (target: LocalTarget, app: string) => `${target.instance}.${app}.`;

/**
 * Each app has a network of its own: its processes and one-offs, and the services linked to
 * it, are on it, and nothing else is, so an app reaches no other app's containers and only
 * the services it is linked to. nginx, on the host, reaches every network.
 */
export const appNetworkName = (target: LocalTarget, app: string) => `${target.instance}.app.${app}`;
export const appNetworkLabels = (target: LocalTarget, app: string) => ({
  [LABEL.instance]: target.instance,
  [LABEL.app]: app,
});

/** The container of process `index` of a process type; `suffix` keeps names unique across releases. */
export function processContainer(target: LocalTarget, spec: ProcessSpec, index: number, suffix: string): ContainerSpec {
  const dyno = `${spec.process}.${index}`;
  return {
    name: processContainerName(target, spec.app, dyno, suffix),
    image: spec.image,
    cmd: spec.cmd,
    env: { ...spec.env, DYNO: dyno, PORT: String(spec.port ?? '') },
    network: appNetworkName(target, spec.app),
    binds: spec.binds,
    // Host port 0: one the kernel picks, so old and new containers of a deploy never collide.
    publish: spec.publish && spec.port !== undefined ? { containerPort: spec.port, hostPort: 0 } : undefined,
    restartPolicy: spec.options.restartPolicy,
    pidsLimit: target.pidsLimit,
    memoryBytes: spec.options.memoryBytes,
    nanoCpus: spec.options.nanoCpus,
    labels: containerLabels({
      [LABEL.instance]: target.instance,
      [LABEL.app]: spec.app,
      [LABEL.process]: spec.process,
      [LABEL.index]: String(index),
      [LABEL.release]: String(spec.release),
      [LABEL.port]: spec.port === undefined ? '' : String(spec.port),
    }),
  };
}

/** A one-off of an app (a task, `run`): labelled so no deploy ever retires it. */
export function oneOffContainer(target: LocalTarget, spec: OneOffSpec, suffix: string): DockerOneOffSpec {
  return {
    name: processContainerName(target, spec.app, spec.env.DYNO ?? 'run', suffix),
    image: spec.image,
    cmd: spec.cmd,
    env: spec.env,
    labels: containerLabels({
      [LABEL.instance]: target.instance,
      [LABEL.app]: spec.app,
      [LABEL.process]: spec.process ?? 'run',
      [LABEL.oneOff]: 'true',
    }),
    binds: spec.binds,
    network: appNetworkName(target, spec.app),
    pidsLimit: target.pidsLimit,
  };
}

export const serviceContainerName = (target: LocalTarget, kind: string, name: string) =>
  `${target.instance}.${kind}.${name}`;
export const serviceVolumeName = (target: LocalTarget, kind: string, name: string) =>
  `${target.instance}-${kind}-${name}`;
/** The second volume of a service that keeps an archive: a name no service's data volume can have. */
export const serviceArchiveVolumeName = (target: LocalTarget, kind: string, name: string) =>
  `${serviceVolumeName(target, kind, name)}.archive`;
export const serviceLabel = (kind: string, name: string) => `${kind}.${name}`;
/** A service's own network: the daemon reaches it there while no app is linked. */
export const serviceNetworkName = (target: LocalTarget, kind: string, name: string) =>
  `${target.instance}.service.${kind}.${name}`;
export const serviceLabels = (target: LocalTarget, kind: string, name: string) => ({
  [LABEL.instance]: target.instance,
  [LABEL.service]: serviceLabel(kind, name),
});

/**
 * A service's container: its volumes, its DNS name on its own network (it joins the networks
 * of the apps linked to it under the same name), a host port only when exposed.
 */
export function serviceContainer(target: LocalTarget, spec: ServiceSpec): ContainerSpec {
  return {
    name: serviceContainerName(target, spec.kind, spec.name),
    image: spec.image,
    env: spec.env,
    labels: containerLabels(serviceLabels(target, spec.kind, spec.name)),
    network: serviceNetworkName(target, spec.kind, spec.name),
    aliases: [spec.host],
    binds: [
      `${serviceVolumeName(target, spec.kind, spec.name)}:${spec.dataPath}`,
      ...(spec.archivePath ? [`${serviceArchiveVolumeName(target, spec.kind, spec.name)}:${spec.archivePath}`] : []),
      ...(spec.restoreFrom
        ? [`${serviceArchiveVolumeName(target, spec.kind, spec.restoreFrom.name)}:${spec.restoreFrom.path}:ro`]
        : []),
    ],
    pidsLimit: target.pidsLimit,
    publish: spec.exposedPort ? { containerPort: spec.port, hostPort: spec.exposedPort } : undefined,
  };
}
