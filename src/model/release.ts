import { z } from 'zod';
import { storedCronTaskSchema } from './cron.js';

export const PROCESS_TYPE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
export const processTypeSchema = z
  .string()
  .regex(PROCESS_TYPE, 'process types are lowercase letters, digits and hyphens');

/** One app.json healthcheck, with Dokku's field defaults. */
export const healthcheckSchema = z.object({
  type: z.enum(['startup', 'liveness', 'readiness']).default('startup'),
  name: z.string().max(200).optional(),
  path: z.string().startsWith('/').max(2000).optional(),
  content: z.string().max(10_000).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  attempts: z.number().int().min(1).max(100).default(3),
  timeout: z.number().min(0.1).max(600).default(5),
  wait: z.number().min(0).max(600).default(5),
  initialDelay: z.number().min(0).max(600).default(0),
  uptime: z.number().min(0).max(600).optional(),
  listening: z.boolean().optional(),
  warn: z.boolean().default(false),
  httpHeaders: z
    .array(z.object({ name: z.string().regex(/^[A-Za-z0-9-]+$/), value: z.string().max(2000) }))
    .default([]),
});
export type Healthcheck = z.infer<typeof healthcheckSchema>;

export const scriptSchema = z.string().min(1).max(10_000);
/** What a release knows from its source, kept with the release so redeploys need no source. */
export const releaseMetaSchema = z.object({
  /** How the image was made; buildpack images start processes through their launcher. */
  builder: z.enum(['dockerfile', 'herokuish', 'image']).default('dockerfile'),
  /** Procfile commands by process type; absent means the image's own command runs as `web`. */
  processes: z.record(processTypeSchema, z.string()).optional(),
  /** app.json scripts.dokku: run in a one-off container before the swap and after it. */
  predeploy: scriptSchema.optional(),
  postdeploy: scriptSchema.optional(),
  healthchecks: z.record(processTypeSchema, z.array(healthcheckSchema)).default({}),
  /** app.json formation quantities: applied on every deploy, and ps:scale is then refused, as in Dokku. */
  formation: z.record(processTypeSchema, z.number().int().min(0).max(100)).default({}),
  /** The TCP ports the image EXPOSEs: the first is where web listens unless ports:set says otherwise, as in Dokku. */
  exposedPorts: z.array(z.number().int().min(1).max(65535)).default([]),
  /** app.json cron tasks: run on their schedules in one-off containers of the current release. */
  cron: z.array(storedCronTaskSchema).max(100).default([]),
});
export type ReleaseMeta = z.infer<typeof releaseMetaSchema>;

/** In buildpack images: sources .profile.d, then runs the command in /app. */
export const LAUNCHER = '/usr/local/bin/slipway-launch';

/** How a command runs in a release's image: buildpack images start it through their launcher. */
export function commandFor(meta: ReleaseMeta, command: string): string[] {
  return meta.builder === 'herokuish' ? [LAUNCHER, command] : ['/bin/sh', '-c', command];
}
