import { z } from 'zod';
import { UserError } from '../core/errors.js';
import type { ProcessOptions } from '../runtime/scheduler.js';
import type { State } from '../state/index.js';

/** Docker's restart policies, as `ps:set <app> restart-policy` takes them. */
const RESTART_POLICY = /^(?:no|always|unless-stopped|on-failure(?::(\d{1,3}))?)$/;
// Not Dokku's on-failure:10: unless-stopped brings apps back after a host reboot.
export const DEFAULT_RESTART_POLICY = 'unless-stopped';
const MEMORY = /^(\d{1,12})([bkmg]?)$/i;
const UNIT: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const MIN_MEMORY = 6 * 1024 ** 2; // Docker refuses less
const MAX_CPUS = 1024;
/** Limits apply to every process type unless that type has its own. */
export const ALL_TYPES = '_default_';
export const RESTART_POLICY_PROPERTY = 'ps.restart-policy';
export const RESOURCES_PROPERTY = 'resource.limits';

const limitsSchema = z.object({ memory: z.string().optional(), cpu: z.string().optional() });
const resourcesSchema = z.record(z.string(), limitsSchema);
export type ResourceLimits = z.infer<typeof limitsSchema>;

export function parseRestartPolicy(value: string | undefined): string {
  if (!value || !RESTART_POLICY.test(value)) {
    // Dokku's words first: scripts match `Invalid restart-policy specified`.
    throw new UserError(
      `Invalid restart-policy specified (${value ?? ''}): use no, always, unless-stopped or on-failure[:N]`,
    );
  }
  return value;
}

export function restartPolicy(state: State, app: string): string {
  return state.properties.get(app, RESTART_POLICY_PROPERTY) ?? DEFAULT_RESTART_POLICY;
}

export function setRestartPolicy(state: State, app: string, value: string | undefined): void {
  state.properties.set(app, RESTART_POLICY_PROPERTY, value === undefined ? undefined : parseRestartPolicy(value));
}

export function parseMemory(text: string): number {
  const match = MEMORY.exec(text);
  const bytes = match ? Number(match[1]) * (UNIT[match[2]!.toLowerCase()] ?? NaN) : NaN;
  if (!(bytes >= MIN_MEMORY))
    throw new UserError(`Invalid memory limit ${text}: give a size such as 512m or 1g (at least 6m)`);
  return bytes;
}

export function parseCpus(text: string): number {
  const cpus = /^\d{1,4}(?:\.\d{1,3})?$/.test(text) ? Number(text) : NaN;
  if (!(cpus > 0 && cpus <= MAX_CPUS))
    throw new UserError(`Invalid cpu limit ${text}: give a number of CPUs such as 0.5 or 2`);
  return cpus;
}

export function resourceLimits(state: State, app: string): Record<string, ResourceLimits> {
  const stored = state.properties.get(app, RESOURCES_PROPERTY);
  return stored ? resourcesSchema.parse(JSON.parse(stored)) : {};
}

/** Merges new limits for one process type (or all); checked here so nothing bad is stored. */
export function setResourceLimits(state: State, app: string, type: string, limits: ResourceLimits): void {
  if (limits.memory !== undefined) parseMemory(limits.memory);
  if (limits.cpu !== undefined) parseCpus(limits.cpu);
  const all = resourceLimits(state, app);
  all[type] = { ...all[type], ...limits };
  state.properties.set(app, RESOURCES_PROPERTY, JSON.stringify(all));
}

export function clearResourceLimits(state: State, app: string, type: string | undefined): void {
  const all = resourceLimits(state, app);
  if (type === undefined) return state.properties.set(app, RESOURCES_PROPERTY, undefined);
  delete all[type];
  state.properties.set(app, RESOURCES_PROPERTY, Object.keys(all).length ? JSON.stringify(all) : undefined);
}

/** How the containers of one process type run: restart policy and resource limits. */
export function processOptions(state: State, app: string, type: string): ProcessOptions {
  const policy = restartPolicy(state, app);
  const [name = 'no', retries] = policy.split(':');
  const all = resourceLimits(state, app);
  const limits = { ...all[ALL_TYPES], ...all[type] };
  return {
    restartPolicy: retries === undefined ? { name } : { name, maximumRetryCount: Number(retries) },
    memoryBytes: limits.memory === undefined ? undefined : parseMemory(limits.memory),
    nanoCpus: limits.cpu === undefined ? undefined : Math.round(parseCpus(limits.cpu) * 1e9),
  };
}
