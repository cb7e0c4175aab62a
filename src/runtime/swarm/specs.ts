/**
 * Pure: what the Swarm scheduler asks a manager for, from what should run: service names,
 * labels and bodies. No I/O, so the exact bodies are unit-tested.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { containerLabels, LABEL } from '../../model/labels.js';
import { envList } from '../docker/index.js';
import type { ProcessOptions, ProcessSpec } from '../scheduler.js';

export interface SwarmTarget {
  instance: string;
  pidsLimit: number;
  stopTimeoutSeconds: number;
}

/** A service name is a DNS name component: letters, digits and `-`, at most 63 of them. */
const SERVICE_NAME_MAX = 63;

/**
 * `<instance>-<app>-<process>-<suffix>`: one service per process type and deploy, so a new
 * release runs beside the old one until Slipway has checked it and moved traffic. (Names are
 * for people; Slipway finds its services by their labels.)
 */
export function processServiceName(target: SwarmTarget, app: string, process: string, suffix: string): string {
  const head = `${target.instance}-${app}-${process}`.replace(/[^a-zA-Z0-9-]/g, '-');
  return `${head.slice(0, SERVICE_NAME_MAX - suffix.length - 1)}-${suffix}`;
}

/**
 * The overlay network of an app: its tasks on every node, its one-offs and its linked
 * services. Swarm wants a DNS name component here too (no dots).
 */
export const swarmAppNetworkName = (target: SwarmTarget, app: string) => `${target.instance}-swarm-${app}`;
export const swarmAppNetworkLabels = (target: SwarmTarget, app: string) => ({
  [LABEL.instance]: target.instance,
  [LABEL.app]: app,
});

/** The labels every service of an app's process carries, which `instances` reads back. */
export function processLabels(
  target: SwarmTarget,
  spec: Pick<ProcessSpec, 'app' | 'process' | 'release' | 'port'>,
): Record<string, string> {
  return {
    [LABEL.instance]: target.instance,
    [LABEL.app]: spec.app,
    [LABEL.process]: spec.process,
    [LABEL.release]: String(spec.release),
    [LABEL.port]: spec.port === undefined ? '' : String(spec.port),
  };
}

/**
 * Swarm expands Go templates in environment values (`{{.Task.Slot}}`). A value of the app's
 * own config is text: `{{` is written so the template prints it as it is.
 */
export const literalTemplateText = (value: string) => value.replaceAll('{{', '{{"{{"}}');

/** Docker's restart policy names, as Swarm's conditions. */
function restartPolicy(options: ProcessOptions) {
  const { name, maximumRetryCount } = options.restartPolicy;
  const condition = name === 'no' ? 'none' : name === 'on-failure' ? 'on-failure' : 'any';
  return { Condition: condition, Delay: 1e9, MaxAttempts: name === 'on-failure' ? (maximumRetryCount ?? 0) : 0 };
}

/** `host:container[:ro]` binds as Swarm mounts: the directory must exist on the node a task lands on. */
function mounts(binds: string[]) {
  return binds.map((bind) => {
    const [source, target, mode] = bind.split(':');
    return { Type: 'bind', Source: source, Target: target, ReadOnly: mode === 'ro' };
  });
}

const NANOS_PER_SECOND = 1e9;

/**
 * The service of one process type of a release: `count` replicas of the image by digest,
 * DYNO from the task's slot, on the app's overlay network, web publishing its port in host
 * mode on a port each node picks (the routing mesh is not used: nginx goes to tasks directly).
 * start-first updates with rollback on failure are set for updates Swarm makes itself;
 * Slipway's own deploys start a new service and check it before traffic moves.
 */
export function processService(
  target: SwarmTarget,
  spec: ProcessSpec,
  options: { name: string; image: string; count: number; network: string; constraints: string[] },
): Record<string, unknown> {
  const env = Object.fromEntries(Object.entries(spec.env).map(([key, value]) => [key, literalTemplateText(value)]));
  const labels = processLabels(target, spec);
  return {
    Name: options.name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: options.image,
        Args: spec.cmd,
        Env: envList({ ...env, DYNO: `${spec.process}.{{.Task.Slot}}`, PORT: String(spec.port ?? '') }),
        Labels: containerLabels(labels),
        Init: true,
        Mounts: mounts(spec.binds),
        StopGracePeriod: target.stopTimeoutSeconds * NANOS_PER_SECOND,
      },
      Resources: {
        Limits: { MemoryBytes: spec.options.memoryBytes, NanoCPUs: spec.options.nanoCpus, Pids: target.pidsLimit },
      },
      RestartPolicy: restartPolicy(spec.options),
      Placement: { Constraints: options.constraints },
      Networks: [{ Target: options.network }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '3' } },
    },
    Mode: { Replicated: { Replicas: options.count } },
    UpdateConfig: { Parallelism: 1, Order: 'start-first', FailureAction: 'rollback', Monitor: 5 * NANOS_PER_SECOND },
    RollbackConfig: { Parallelism: 1, Order: 'start-first' },
    EndpointSpec:
      spec.port === undefined
        ? { Mode: 'dnsrr' }
        : { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: spec.port, PublishMode: 'host' }] },
  };
}

/** A placement constraint as Swarm takes it: `node.labels.tier==web`, `node.role!=manager`, … */
const CONSTRAINT =
  /^(node\.(id|hostname|role|platform\.os|platform\.arch)|node\.labels\.[A-Za-z0-9._-]+|engine\.labels\.[A-Za-z0-9._-]+)\s*(==|!=)\s*[A-Za-z0-9._-]+$/;

/** Why a constraint is not one Swarm would take, or undefined when it is. */
export function constraintProblem(constraint: string): string | undefined {
  if (CONSTRAINT.test(constraint)) return undefined;
  return `Invalid constraint: ${constraint} (give node.labels.<key>==<value>, node.hostname!=<name>, node.role==manager, …)`;
}

/** On the guard service: the digest of its spec, so a keeper tells a current one from one to replace. */
export const GUARD_LABEL = 'slipway.task-ports-guard';
/** Where the guard's image goes in the registry: a path no app has (app names have no `/`). */
export const GUARD_REPOSITORY = 'slipway/guard';
const GUARD_SCRIPT = fs.readFileSync(new URL('../../../templates/swarm/task-ports-guard.sh', import.meta.url), 'utf8');

/**
 * The service that keeps task ports to the manager's nginx (templates/swarm/task-ports-guard.sh):
 * one task on every node, present and future (global mode), in the node's own network
 * namespace with NET_ADMIN and the node's root filesystem, where it runs the node's iptables.
 * `allow`: the addresses this host connects to the nodes from.
 */
export function guardService(
  target: SwarmTarget,
  options: { image: string; allow: string[] },
): Record<string, unknown> {
  const addresses = (family: (a: string) => boolean) => options.allow.filter(family).sort().join(' ');
  const spec = {
    Name: `${target.instance}-task-ports-guard`,
    TaskTemplate: {
      ContainerSpec: {
        Image: options.image,
        Args: ['chroot', '/host', 'sh', '-c', GUARD_SCRIPT],
        Env: envList({ ALLOW4: addresses(net.isIPv4), ALLOW6: addresses(net.isIPv6) }),
        Labels: containerLabels({ [LABEL.instance]: target.instance }),
        Init: true,
        CapabilityAdd: ['CAP_NET_ADMIN'],
        Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }],
        StopGracePeriod: NANOS_PER_SECOND,
      },
      Resources: { Limits: { MemoryBytes: 64 * 1024 * 1024, Pids: 64 } },
      RestartPolicy: { Condition: 'any', Delay: 5 * NANOS_PER_SECOND, MaxAttempts: 0 },
      Networks: [{ Target: 'host' }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '1m', 'max-file': '2' } },
    },
    Mode: { Global: {} },
  };
  const digest = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  return { ...spec, Labels: { [LABEL.instance]: target.instance, [GUARD_LABEL]: digest } };
}
