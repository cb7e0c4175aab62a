import { z } from 'zod';
import type { Caller } from '../access/index.js';
import { mayUseApp } from '../access/index.js';
import { checkTotalSize, validateKey, validateValue } from '../config/env.js';
import { APP_NAME_MAX, isValidAppName } from '../core/names.js';
import type { BackupJson, ConfigJson } from '../model/api.js';
import type { Platform } from '../platform.js';
import { allServiceKinds, BACKUP_DIR, backupPath } from '../services/index.js';
import { errorOf, invoke } from './invoke.js';
import { metricsRoutes } from './metrics-routes.js';

/**
 * The resources of /api/v1. Each route declares its inputs as zod schemas (which validate
 * the request and make the OpenAPI document) and runs the same Slipway commands as SSH, as
 * the token's key: every access rule and every validation is the commands' own.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RouteContext<P, Q, B> {
  platform: Platform;
  caller: Caller;
  params: P;
  query: Q;
  body: B;
  signal: AbortSignal;
}

/** A JSON answer (no body is 204 No Content), or a file to download. */
export type RouteResult = { body?: unknown; download?: { path: string; name: string } };

// The routes of one table each have their own params, query and body: `any` by default lets a
// list hold them all, while each route's handler is checked against its own types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiRoute<P = any, Q = any, B = any> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under /api/v1, Fastify style: `/apps/:app`. */
  url: string;
  summary: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** What it answers, for the OpenAPI document. */
  response?: z.ZodType;
  /** Answers 201 Created rather than 200. */
  created?: true;
  /** Streams its own answer (server-sent events, or command output as NDJSON). */
  streams?: 'text/event-stream' | 'application/x-ndjson';
  handle(ctx: RouteContext<P, Q, B>): Promise<RouteResult>;
}

const route = <P, Q, B>(definition: ApiRoute<P, Q, B>): ApiRoute => definition as ApiRoute;

// --- schemas -------------------------------------------------------------------------

export const appName = z
  .string()
  .max(APP_NAME_MAX)
  .refine(isValidAppName, 'not a valid app name')
  .describe('An app name');
const appParams = z.object({ app: appName });
const word = z.string().min(1).max(4096);
const envKey = z.string().min(1).max(256).refine(isValidKey, 'not a valid config key');
function isValidKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}
const processName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'not a valid process type');
const serviceKinds = allServiceKinds.map((kind) => kind.kind);
const serviceType = z.enum(serviceKinds as [(typeof serviceKinds)[number], ...typeof serviceKinds]);
const serviceParams = z.object({
  type: serviceType,
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'not a valid service name'),
});
const output = z.object({ output: z.array(z.string()) });

// --- how routes run commands ------------------------------------------------------------

type Ctx = RouteContext<unknown, unknown, unknown>;

/** Runs a command; its ` !     ` message becomes the error (404 when something does not exist). */
async function run(ctx: Ctx, words: string[], stdin?: string): Promise<string[]> {
  const done = await invoke(ctx.platform, ctx.caller, words, { stdin, signal: ctx.signal });
  if (done.code === 0) return done.stdout;
  const error = errorOf(done);
  throw new ApiError(
    /needs an (admin|SSH) key/.test(error)
      ? 403
      : /does not exist|^No (token|key|deploy|release)\b/i.test(error)
        ? 404
        : 400,
    error,
  );
}

/** A query command's data, as `--format json` gives it. */
async function read(ctx: Ctx, words: string[]): Promise<unknown> {
  const lines = await run(ctx, [...words, '--format', 'json']);
  return JSON.parse(lines.join('\n') || 'null');
}

/** What a changing command printed, as the answer. */
const printed = async (ctx: Ctx, words: string[], stdin?: string): Promise<RouteResult> => ({
  body: { output: await run(ctx, words, stdin) },
});

/**
 * An app the caller may use, or 404 with the same words whether it is missing or not
 * theirs, so a tenant's token cannot probe for other apps' names.
 */
export function requireApp(ctx: { platform: Platform; caller: Caller }, app: string): string {
  if (ctx.platform.state.apps.get(app) && mayUseApp(ctx.platform.state, ctx.caller, app)) return app;
  throw new ApiError(404, `App ${app} does not exist`);
}

const MASK = '********';

/** A GET of what a query command reports about the app named in the URL. */
const appQuery = (
  url: string,
  tag: string,
  summary: string,
  command: string,
  response: z.ZodType = z.record(z.string(), z.unknown()),
) =>
  route({
    method: 'GET',
    url,
    tag,
    summary,
    params: appParams,
    response,
    handle: async (ctx) => ({ body: await read(ctx, [command, requireApp(ctx, ctx.params.app)]) }),
  });

/** A change that is one command on the app named in the URL, answering what it printed. */
const appAction = (method: 'POST' | 'DELETE', url: string, tag: string, summary: string, command: string[]) =>
  route({
    method,
    url,
    tag,
    summary,
    params: appParams,
    response: output,
    handle: async (ctx) => printed(ctx, [command[0]!, requireApp(ctx, ctx.params.app), ...command.slice(1)]),
  });

// --- the routes ----------------------------------------------------------------------------

const apps = [
  route({
    method: 'GET',
    url: '/apps',
    tag: 'apps',
    summary: 'The apps the token may use',
    response: z.array(z.string()),
    handle: async (ctx) => ({ body: await read(ctx, ['apps:list']) }),
  }),
  route({
    method: 'POST',
    url: '/apps',
    tag: 'apps',
    summary: 'Create an app',
    body: z.object({ name: appName }),
    response: output,
    created: true,
    handle: async (ctx) => printed(ctx, ['apps:create', ctx.body.name]),
  }),
  appQuery('/apps/:app', 'apps', 'Everything Slipway reports about an app', 'report'),
  appAction('DELETE', '/apps/:app', 'apps', 'Destroy an app, its containers, images and config', [
    'apps:destroy',
    '--force',
  ]),
  route({
    method: 'POST',
    url: '/apps/:app/rename',
    tag: 'apps',
    summary: 'Rename an app',
    params: appParams,
    body: z.object({ name: appName }),
    response: output,
    handle: async (ctx) => printed(ctx, ['apps:rename', requireApp(ctx, ctx.params.app), ctx.body.name]),
  }),
];

const deployParams = appParams.extend({ id: z.string().regex(/^[0-9a-f-]{4,36}$/, 'not a deploy id') });
const deploys = [
  appQuery(
    '/apps/:app/deploys',
    'deploys',
    'The app’s deploys, newest first',
    'builds:list',
    z.array(z.record(z.string(), z.unknown())),
  ),
  route({
    method: 'GET',
    url: '/apps/:app/deploys/:id',
    tag: 'deploys',
    summary: 'One deploy and its log',
    params: deployParams,
    response: z.record(z.string(), z.unknown()),
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      const list = (await read(ctx, ['builds:list', app])) as { id: string }[];
      const deploy = list.find((d) => d.id.startsWith(ctx.params.id));
      if (!deploy) throw new ApiError(404, `No deploy ${ctx.params.id} of ${app}`);
      return { body: { ...deploy, log: await run(ctx, ['logs:deploy', app, deploy.id]) } };
    },
  }),
];

const releases = [
  appQuery(
    '/apps/:app/releases',
    'releases',
    'The app’s releases, newest first',
    'releases',
    z.array(z.record(z.string(), z.unknown())),
  ),
  route({
    method: 'POST',
    url: '/apps/:app/releases/rollback',
    tag: 'releases',
    summary: 'Roll back to the previous release, or to `version`',
    params: appParams,
    body: z.object({ version: z.number().int().min(1).optional() }).optional(),
    response: output,
    handle: async (ctx) => {
      const version = ctx.body?.version;
      return printed(ctx, [
        'releases:rollback',
        requireApp(ctx, ctx.params.app),
        ...(version === undefined ? [] : [`v${version}`]),
      ]);
    },
  }),
];

const configChange = z
  .object({
    set: z.record(envKey, z.string().max(512 * 1024)).default({}),
    unset: z.array(envKey).max(1000).default([]),
    restart: z.boolean().default(true),
  })
  .describe('Set and unset config vars: one new release');
const config = [
  route({
    method: 'GET',
    url: '/apps/:app/config',
    tag: 'config',
    summary: 'The app’s config vars; values masked unless reveal=true',
    params: appParams,
    query: z.object({ reveal: z.enum(['true', 'false']).default('false') }),
    response: z.object({ masked: z.boolean(), config: z.record(z.string(), z.string()) }),
    handle: async (ctx) => {
      const env = JSON.parse(
        (await run(ctx, ['config:export', requireApp(ctx, ctx.params.app), '--format', 'json'])).join('\n') || '{}',
      ) as Record<string, string>;
      const masked = ctx.query.reveal !== 'true';
      return {
        body: {
          masked,
          config: masked ? Object.fromEntries(Object.keys(env).map((k) => [k, MASK])) : env,
        } satisfies ConfigJson,
      };
    },
  }),
  route({
    method: 'PATCH',
    url: '/apps/:app/config',
    tag: 'config',
    summary: 'Set and unset config vars as one release (restarts the app unless restart=false)',
    params: appParams,
    body: configChange,
    response: output,
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      const { set, unset, restart } = ctx.body;
      if (Object.keys(set).length + unset.length === 0)
        throw new ApiError(400, 'Nothing to change: give set and/or unset');
      const both = unset.find((key) => key in set);
      if (both) throw new ApiError(400, `${both} is both set and unset`);
      for (const [key, value] of Object.entries(set)) apiInput(() => validateValue(key, value));
      const current = JSON.parse(
        (await run(ctx, ['config:export', app, '--format', 'json'])).join('\n') || '{}',
      ) as Record<string, string>;
      const next = { ...current, ...set };
      unset.forEach((key) => delete next[key]);
      apiInput(() => checkTotalSize(next));
      // Unset without a restart, then set with one: both land in the one release the set makes.
      const noRestart = restart ? [] : ['--no-restart'];
      const lines: string[] = [];
      const setting = Object.keys(set).length > 0;
      if (unset.length > 0)
        lines.push(...(await run(ctx, ['config:unset', app, ...(setting ? ['--no-restart'] : noRestart), ...unset])));
      if (setting)
        lines.push(
          ...(await run(ctx, ['config:set', app, ...noRestart, ...Object.entries(set).map(([k, v]) => `${k}=${v}`)])),
        );
      return { body: { output: lines } };
    },
  }),
];

/** A domain validation that throws a UserError, as a 400. */
function apiInput(check: () => void): void {
  try {
    check();
  } catch (error) {
    throw new ApiError(400, (error as Error).message);
  }
}

const processes = [
  route({
    method: 'GET',
    url: '/apps/:app/processes',
    tag: 'processes',
    summary: 'The app’s processes: formation (counts per type), containers and their state',
    params: appParams,
    response: z.object({ formation: z.record(z.string(), z.number()), report: z.record(z.string(), z.string()) }),
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      const scale = (await read(ctx, ['ps:scale', app])) as { process_type: string; quantity: number }[];
      const formation = Object.fromEntries(scale.map((row) => [row.process_type, row.quantity]));
      return { body: { formation, report: await read(ctx, ['ps:report', app]) } };
    },
  }),
  appQuery(
    '/apps/:app/processes/usage',
    'processes',
    'What each running container uses now: CPU (100 is one CPU) and memory',
    'resource:usage',
    z.array(
      z.object({
        process: z.string(),
        release: z.number(),
        cpu_percent: z.number().nullable(),
        memory_bytes: z.number().nullable(),
        memory_limit_bytes: z.number().nullable(),
      }),
    ),
  ),
  route({
    method: 'PUT',
    url: '/apps/:app/processes/formation',
    tag: 'processes',
    summary: 'Scale process types: {"web": 3, "worker": 1}',
    params: appParams,
    body: z.record(processName, z.number().int().min(0).max(100)),
    response: output,
    handle: async (ctx) => {
      const pairs = Object.entries(ctx.body).map(([type, count]) => `${type}=${count}`);
      if (pairs.length === 0) throw new ApiError(400, 'Give at least one process type and its count');
      return printed(ctx, ['ps:scale', requireApp(ctx, ctx.params.app), ...pairs]);
    },
  }),
  ...['restart', 'stop', 'start', 'rebuild'].map((action) =>
    appAction('POST', `/apps/:app/processes/${action}`, 'processes', `ps:${action} the app`, [`ps:${action}`]),
  ),
];

/**
 * Adding to and removing from one of the app's lists: `POST <url> {<field>: …}` runs
 * `<add> <app> <value>`, `DELETE <url>/<value>` runs `<remove> <app> <value>`.
 */
function appMembers(
  url: string,
  tag: string,
  field: string,
  value: z.ZodString,
  add: [command: string, summary: string],
  remove: [command: string, summary: string],
): ApiRoute[] {
  const member = (ctx: Ctx, given: string, command: string) =>
    printed(ctx, [command, requireApp(ctx, (ctx.params as { app: string }).app), given]);
  return [
    route({
      method: 'POST',
      url,
      tag,
      summary: add[1],
      params: appParams,
      body: z.object({ [field]: value }),
      response: output,
      handle: async (ctx) => member(ctx, (ctx.body as Record<string, string>)[field]!, add[0]),
    }),
    route({
      method: 'DELETE',
      url: `${url}/:${field}`,
      tag,
      summary: remove[1],
      params: appParams.extend({ [field]: value }),
      response: output,
      handle: async (ctx) => member(ctx, (ctx.params as Record<string, string>)[field]!, remove[0]),
    }),
  ];
}

const domains = [
  appQuery('/apps/:app/domains', 'domains', 'The app’s domains', 'domains:report'),
  ...appMembers(
    '/apps/:app/domains',
    'domains',
    'domain',
    z.string().min(1).max(253),
    ['domains:add', 'Add a domain'],
    ['domains:remove', 'Remove a domain'],
  ),
];

const checks = [
  appQuery('/apps/:app/checks', 'checks', 'The app’s check settings', 'checks:report'),
  appAction('POST', '/apps/:app/checks/run', 'checks', 'Run the checks against the running containers', ['checks:run']),
];

const certs = [
  appQuery('/apps/:app/certs', 'certs', 'The app’s certificate', 'certs:report'),
  route({
    method: 'POST',
    url: '/apps/:app/certs',
    tag: 'certs',
    summary: 'Install a certificate and key (PEM)',
    params: appParams,
    body: z.object({
      certificate: z
        .string()
        .min(1)
        .max(256 * 1024),
      key: z
        .string()
        .min(1)
        .max(64 * 1024),
    }),
    response: output,
    handle: async (ctx) =>
      printed(
        ctx,
        ['certs:add', requireApp(ctx, ctx.params.app)],
        `${ctx.body.certificate.trim()}\n${ctx.body.key.trim()}\n`,
      ),
  }),
  appAction('DELETE', '/apps/:app/certs', 'certs', 'Remove the app’s certificate', ['certs:remove']),
];

const services = [
  route({
    method: 'GET',
    url: '/services',
    tag: 'services',
    summary: 'Every database service, by type',
    response: z.record(serviceType, z.array(z.record(z.string(), z.unknown()))),
    handle: async (ctx) => ({
      body: Object.fromEntries(
        await Promise.all(serviceKinds.map(async (kind) => [kind, await read(ctx, [`${kind}:list`])] as const)),
      ),
    }),
  }),
  route({
    method: 'POST',
    url: '/services/:type',
    tag: 'services',
    summary: 'Create a service',
    params: z.object({ type: serviceType }),
    body: z.object({ name: serviceParams.shape.name }),
    response: output,
    created: true,
    handle: async (ctx) => printed(ctx, [`${ctx.params.type}:create`, ctx.body.name]),
  }),
  route({
    method: 'GET',
    url: '/services/:type/:name',
    tag: 'services',
    summary: 'A service’s details and links',
    params: serviceParams,
    response: z.record(z.string(), z.unknown()),
    handle: async (ctx) => {
      const listed = (await read(ctx, [`${ctx.params.type}:list`])) as { name: string }[];
      const service = listed.find((s) => s.name === ctx.params.name);
      if (!service) throw new ApiError(404, `Service ${ctx.params.name} does not exist`);
      return { body: service };
    },
  }),
  route({
    method: 'DELETE',
    url: '/services/:type/:name',
    tag: 'services',
    summary: 'Destroy a service and its data',
    params: serviceParams,
    response: output,
    handle: async (ctx) => printed(ctx, [`${ctx.params.type}:destroy`, ctx.params.name, '--force']),
  }),
  route({
    method: 'POST',
    url: '/services/:type/:name/links',
    tag: 'services',
    summary: 'Link a service to an app (restarts it with the URL)',
    params: serviceParams,
    body: z.object({ app: appName }),
    response: output,
    handle: async (ctx) => printed(ctx, [`${ctx.params.type}:link`, ctx.params.name, requireApp(ctx, ctx.body.app)]),
  }),
  route({
    method: 'DELETE',
    url: '/services/:type/:name/links/:app',
    tag: 'services',
    summary: 'Unlink a service from an app',
    params: serviceParams.extend({ app: appName }),
    response: output,
    handle: async (ctx) =>
      printed(ctx, [`${ctx.params.type}:unlink`, ctx.params.name, requireApp(ctx, ctx.params.app)]),
  }),
];

const backupFile = serviceParams.extend({
  dir: z.string().regex(BACKUP_DIR),
  file: z.string().regex(/^[a-z]+-[a-z0-9-]+-[0-9TZ-]+\.dump$/),
});
const backupRow = z.object({ dir: z.string(), file: z.string(), bytes: z.number(), created_at: z.string() });
const backups = [
  route({
    method: 'GET',
    url: '/services/:type/:name/backups',
    tag: 'services',
    summary: 'The service’s backups, newest first (admins)',
    params: serviceParams,
    response: z.array(backupRow),
    handle: async (ctx) => ({ body: await read(ctx, [`${ctx.params.type}:backups`, ctx.params.name]) }),
  }),
  route({
    method: 'POST',
    url: '/services/:type/:name/backups',
    tag: 'services',
    summary: 'Take a backup now, into the backup directory named after the service (keeps 7) (admins)',
    params: serviceParams,
    response: output,
    created: true,
    handle: async (ctx) => printed(ctx, [`${ctx.params.type}:backup`, ctx.params.name, ctx.params.name]),
  }),
  route({
    method: 'GET',
    url: '/services/:type/:name/backups/:dir/:file',
    tag: 'services',
    summary: 'Download one backup (admins)',
    params: backupFile,
    handle: async (ctx) => {
      // Listing runs as the caller: admins only, and only files that are this service's backups.
      const listed = (await read(ctx, [`${ctx.params.type}:backups`, ctx.params.name])) as BackupJson[];
      // Only local dumps are files here; a bucket's backups are restored with backup-restore.
      const found = listed.find((b) => b.where === 'local' && b.dir === ctx.params.dir && b.file === ctx.params.file);
      if (!found) throw new ApiError(404, `No backup ${ctx.params.dir}/${ctx.params.file} of ${ctx.params.name}`);
      return { download: { path: backupPath(ctx.platform, found), name: found.file } };
    },
  }),
];

const keys = [
  route({
    method: 'GET',
    url: '/keys',
    tag: 'keys',
    summary: 'The SSH keys (admins)',
    response: z.array(z.record(z.string(), z.unknown())),
    handle: async (ctx) => ({ body: await read(ctx, ['ssh-keys:list']) }),
  }),
  route({
    method: 'POST',
    url: '/keys',
    tag: 'keys',
    summary: 'Add an SSH key (admins)',
    body: z.object({
      name: z.string().min(1).max(64),
      key: z
        .string()
        .min(1)
        .max(16 * 1024),
      admin: z.boolean().default(false),
    }),
    response: output,
    created: true,
    handle: async (ctx) =>
      printed(ctx, ['ssh-keys:add', ctx.body.name, ...(ctx.body.admin ? ['--admin'] : [])], ctx.body.key),
  }),
  route({
    method: 'DELETE',
    url: '/keys/:name',
    tag: 'keys',
    summary: 'Remove an SSH key and its tokens (admins)',
    params: z.object({ name: z.string().min(1).max(64) }),
    response: output,
    handle: async (ctx) => printed(ctx, ['ssh-keys:remove', ctx.params.name]),
  }),
  appQuery('/apps/:app/grants', 'keys', 'The non-admin keys granted the app (admins)', 'acl:list', z.array(z.string())),
  ...appMembers(
    '/apps/:app/grants',
    'keys',
    'key',
    z.string().min(1).max(64),
    ['acl:add', 'Grant a key the app (admins)'],
    ['acl:remove', 'Take the app away from a key (admins)'],
  ),
];

/** Every JSON route; the streaming ones (deploy logs, commands) are in server.ts. */
export const ROUTES: ApiRoute[] = [
  ...apps,
  ...deploys,
  ...releases,
  ...config,
  ...processes,
  ...domains,
  ...checks,
  ...certs,
  ...services,
  ...backups,
  ...keys,
  ...metricsRoutes(),
];

export const commandBody = z.object({
  command: z.array(word).min(1).max(1000),
  stdin: z
    .string()
    .max(1024 * 1024)
    .optional(),
});
export { deployParams };
