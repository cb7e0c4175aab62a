import { z } from 'zod';
import type {
  AppDetailJson,
  AppJson,
  BackupJson,
  CertsJson,
  ChecksJson,
  ChecksRunJson,
  ConfigJson,
  DeployJson,
  DomainsJson,
  InstanceJson,
  KeyJson,
  NodeJson,
  ProcessesJson,
  ReleaseJson,
  ServiceItemJson,
  ServiceJson,
  UsageJson,
} from '../model/api.js';

/**
 * What the resources of /api/v1 answer, as zod schemas: each route's answer is checked
 * against its schema in the tests, and the OpenAPI document is made from them. Each one
 * `satisfies` the type in model/api.ts that the dashboard reads, so the two cannot drift.
 */

const isoTime = z.string().describe('An ISO 8601 time, UTC');

export const deploySchema = z.object({
  id: z.string(),
  app: z.string(),
  kind: z.string().describe('git, config, restart, rollback, rebuild, image …'),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  release: z.number().int().nullable(),
  rev: z.string().nullable(),
  error: z.string().nullable(),
  requested_by: z.string(),
  started_at: isoTime,
  finished_at: isoTime.nullable(),
  timings_ms: z.record(z.string(), z.number()).describe('Milliseconds from the daemon receiving it to each phase'),
}) satisfies z.ZodType<DeployJson>;

export const deployDetailSchema = deploySchema.extend({
  log: z.array(z.string()).describe('The log so far, line by line'),
});

export const releaseSchema = z.object({
  version: z.number().int(),
  current: z.boolean(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  kind: z.enum(['deploy', 'config', 'rollback']),
  description: z.string(),
  rev: z.string().nullable(),
  image: z.string(),
  config_keys: z.array(z.string()),
  created_by: z.string(),
  created_at: isoTime,
}) satisfies z.ZodType<ReleaseJson>;

const formation = z.record(z.string(), z.number().int()).describe('Containers wanted per process type');

export const appSchema = z.object({
  name: z.string(),
  state: z.enum(['undeployed', 'stopped', 'sleeping', 'running', 'partial', 'down']),
  release: z.number().int().nullable(),
  deploy: deploySchema
    .pick({ id: true, kind: true, status: true, release: true, started_at: true, finished_at: true })
    .nullable(),
  processes: z.object({ formation, total: z.number().int(), running: z.number().int() }),
  domains: z.array(z.string()),
}) satisfies z.ZodType<AppJson>;

export const appDetailSchema = appSchema.extend({
  created_at: isoTime,
  locked: z.boolean(),
  current_release: releaseSchema.nullable(),
  urls: z.array(z.string()),
}) satisfies z.ZodType<AppDetailJson>;

export const configSchema = z.object({
  masked: z.boolean(),
  config: z.record(z.string(), z.string()),
}) satisfies z.ZodType<ConfigJson>;

export const instanceSchema = z.object({
  name: z.string(),
  process: z.string(),
  index: z.number().int(),
  release: z.number().int(),
  state: z.enum(['running', 'restarting', 'stopped']),
  id: z.string(),
  node: z.string().nullable(),
}) satisfies z.ZodType<InstanceJson>;

export const processesSchema = z.object({
  formation,
  deployed: z.boolean(),
  stopped: z.boolean(),
  sleeping: z.boolean(),
  running: z.enum(['true', 'false', 'mixed']),
  instances: z.array(instanceSchema),
}) satisfies z.ZodType<ProcessesJson>;

export { formation as formationSchema };

export const usageSchema = z.object({
  process: z.string(),
  release: z.number().int(),
  cpu_percent: z.number().nullable(),
  memory_bytes: z.number().nullable(),
  memory_limit_bytes: z.number().nullable(),
}) satisfies z.ZodType<UsageJson>;

export const domainsSchema = z.object({
  domains: z.array(z.string()),
  global: z.array(z.string()),
  urls: z.array(z.string()),
}) satisfies z.ZodType<DomainsJson>;

export const serviceSchema = z.object({
  name: z.string(),
  status: z.string(),
  links: z.array(z.string()),
}) satisfies z.ZodType<ServiceJson>;

export const serviceItemSchema = serviceSchema.extend({ type: z.string() }) satisfies z.ZodType<ServiceItemJson>;

export const backupSchema = z.object({
  id: z.string(),
  where: z.enum(['local', 's3']),
  dir: z.string(),
  file: z.string(),
  bytes: z.number(),
  created_at: isoTime,
  sha256: z.string().nullable(),
  status: z.enum(['ok', 'failed']),
  error: z.string().nullable(),
}) satisfies z.ZodType<BackupJson>;

export const keySchema = z.object({
  name: z.string(),
  fingerprint: z.string(),
  admin: z.boolean(),
}) satisfies z.ZodType<KeyJson>;

export const grantSchema = z.object({ key: z.string() });

export const nodeSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  address: z.string(),
  role: z.enum(['manager', 'worker']),
  leader: z.boolean(),
  state: z.string(),
  availability: z.string(),
  labels: z.record(z.string(), z.string()),
  engine_version: z.string(),
  tasks: z.array(
    z.object({ app: z.string(), process: z.string(), index: z.number(), release: z.number(), state: z.string() }),
  ),
}) satisfies z.ZodType<NodeJson>;

const checksMode = z.enum(['enabled', 'disabled', 'skipped']);

export const checksSchema = z.object({
  disabled: z
    .array(z.string())
    .describe('Process types deployed without checks, old containers stopped first (`_all_`: all)'),
  skipped: z.array(z.string()).describe('Process types swapped to without checks (`_all_`: all)'),
  web: checksMode,
  wait_to_retire_seconds: z.number().describe('How long old containers keep serving after a swap'),
}) satisfies z.ZodType<ChecksJson>;

export const checksRunSchema = z.object({
  ok: z.boolean().describe('Every container passed its checks'),
  instances: z.array(z.object({ name: z.string(), ok: z.boolean(), reason: z.string().nullable() })),
}) satisfies z.ZodType<ChecksRunJson>;

export const certsSchema = z.object({
  enabled: z.boolean().describe('The app is served over HTTPS'),
  certificate: z
    .object({
      hostnames: z.array(z.string()),
      subject: z.string(),
      issuer: z.string(),
      starts_at: isoTime,
      expires_at: isoTime,
      self_signed: z.boolean(),
    })
    .nullable(),
}) satisfies z.ZodType<CertsJson>;

export const errorSchema = z.object({ error: z.string() });
