import { z } from 'zod';
import type { Caller } from '../access/index.js';
import { mayUseApp, requireAdmin } from '../access/index.js';
import { appUsage } from '../apps/usage.js';
import { checkTotalSize, validateKey, validateValue } from '../config/env.js';
import { NotFoundError, UserError } from '../core/errors.js';
import { checkRunning } from '../deploy/checks-run.js';
import { APP_NAME_MAX, isValidAppName } from '../core/names.js';
import type { ConfigJson } from '../model/api.js';
import type { Platform } from '../platform.js';
import {
  allServiceKinds,
  BACKUP_DIR,
  backupPath,
  requireService,
  serviceBackups,
  serviceJson,
} from '../services/index.js';
import { deployJson } from '../state/deploys.js';
import { releaseJson } from '../state/releases.js';
import { errorOf, invoke } from './invoke.js';
import { pageOf, pageQuery, paginate } from './pagination.js';
import {
  appDetailJson,
  appJson,
  certsJson,
  checksJson,
  domainsJson,
  keysJson,
  nodesJson,
  processesJson,
} from './resources.js';
import {
  appDetailSchema,
  appSchema,
  backupSchema,
  certsSchema,
  checksRunSchema,
  checksSchema,
  configSchema,
  deployDetailSchema,
  deploySchema,
  domainsSchema,
  formationSchema,
  grantSchema,
  keySchema,
  nodeSchema,
  processesSchema,
  releaseSchema,
  serviceItemSchema,
  serviceSchema,
  usageSchema,
} from './schemas.js';
import { metricsRoutes } from './metrics-routes.js';

/**
 * The resources of /api/v1. Each route declares its inputs and its answer as zod schemas
 * (which validate the request, check the answer in the tests and make the OpenAPI document).
 * Reads come from the state and the engine as data; changes run the same Slipway commands as
 * SSH, as the token's key, so every access rule and validation is the commands' own, and
 * answer the resource as it is after the change (never what the command printed), or 204
 * when nothing is left to show. A failure is a UserError of some kind, which server.ts turns
 * into a status (errors.ts).
 */

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
  /** What it answers (JSON): the OpenAPI document's schema, and what the contract tests check. */
  response?: z.ZodType;
  /** Its status when it succeeds, if not 200: 201 Created, or 204 No Content (no `response`, and `{}` from handle). */
  status?: 201 | 204;
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
const kindOf = (type: string) => allServiceKinds.find((kind) => kind.kind === type)!;

// --- how routes run commands ------------------------------------------------------------

type Ctx = RouteContext<unknown, unknown, unknown>;

/**
 * Runs a command. It fails with the UserError the command threw (its kind says the status),
 * or, for a command that only printed ` !     ` and exited non-zero, with that message as bad input.
 */
async function run(ctx: Ctx, words: string[], stdin?: string): Promise<string[]> {
  const done = await invoke(ctx.platform, ctx.caller, words, { stdin, signal: ctx.signal });
  if (done.code === 0) return done.stdout;
  throw done.error ?? new UserError(errorOf(done));
}

/** A resource as it is now, read once a change is done. */
type Answer<T> = [response: z.ZodType, read: (platform: Platform, subject: T) => unknown];

/**
 * An app the caller may use, or 404 with the same words whether it is missing or not
 * theirs, so a tenant's token cannot probe for other apps' names.
 */
export function requireApp(ctx: { platform: Platform; caller: Caller }, app: string): string {
  if (ctx.platform.state.apps.get(app) && mayUseApp(ctx.platform.state, ctx.caller, app)) return app;
  throw new NotFoundError(`App ${app} does not exist`);
}

/** The apps the caller may use, by name. */
const appsOf = (ctx: { platform: Platform; caller: Caller }) =>
  ctx.platform.state.apps
    .list()
    .map((a) => a.name)
    .filter((name) => mayUseApp(ctx.platform.state, ctx.caller, name));

const MASK = '********';

/** A GET of data about the app named in the URL. */
const appRead = (
  url: string,
  tag: string,
  summary: string,
  response: z.ZodType,
  read: (platform: Platform, app: string) => unknown,
) =>
  route({
    method: 'GET',
    url,
    tag,
    summary,
    params: appParams,
    response,
    handle: async (ctx) => ({ body: await read(ctx.platform, requireApp(ctx, ctx.params.app)) }),
  });

/**
 * A change that is one command on the app named in the URL, answering the app's resource
 * as the change left it, or 204 when there is none (the app is gone).
 */
const appAction = (
  method: 'POST' | 'DELETE',
  url: string,
  tag: string,
  summary: string,
  command: string[],
  answer?: Answer<string>,
) =>
  route({
    method,
    url,
    tag,
    summary,
    params: appParams,
    ...(answer ? { response: answer[0] } : { status: 204 }),
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      await run(ctx, [command[0]!, app, ...command.slice(1)]);
      return answer ? { body: await answer[1](ctx.platform, app) } : {};
    },
  });

// --- the routes ----------------------------------------------------------------------------

const apps = [
  route({
    method: 'GET',
    url: '/apps',
    tag: 'apps',
    summary: 'The apps the token may use, by name: state, serving release, newest deploy, processes, domains',
    query: pageQuery,
    response: pageOf(appSchema),
    handle: async (ctx) => {
      const page = paginate(appsOf(ctx), { key: (name) => name, direction: 'asc' }, ctx.query);
      return { body: { ...page, items: await Promise.all(page.items.map((name) => appJson(ctx.platform, name))) } };
    },
  }),
  route({
    method: 'POST',
    url: '/apps',
    tag: 'apps',
    summary: 'Create an app',
    body: z.object({ name: appName }),
    response: appDetailSchema,
    status: 201,
    handle: async (ctx) => {
      await run(ctx, ['apps:create', ctx.body.name]);
      return { body: await appDetailJson(ctx.platform, ctx.body.name) };
    },
  }),
  appRead(
    '/apps/:app',
    'apps',
    'One app: what the list shows, and when it was made, its lock, serving release and URLs',
    appDetailSchema,
    appDetailJson,
  ),
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
    response: appDetailSchema,
    handle: async (ctx) => {
      await run(ctx, ['apps:rename', requireApp(ctx, ctx.params.app), ctx.body.name]);
      return { body: await appDetailJson(ctx.platform, ctx.body.name) };
    },
  }),
];

const deployParams = appParams.extend({ id: z.string().regex(/^[0-9a-f-]{4,36}$/, 'not a deploy id') });
const deploys = [
  route({
    method: 'GET',
    url: '/apps/:app/deploys',
    tag: 'deploys',
    summary: 'The app’s deploys, newest first',
    params: appParams,
    query: pageQuery,
    response: pageOf(deploySchema),
    handle: async (ctx) => {
      const list = ctx.platform.state.deploys.list(requireApp(ctx, ctx.params.app)).map(deployJson);
      // Started in the same millisecond, two deploys are told apart by their ids.
      return { body: paginate(list, { key: (d) => `${d.started_at} ${d.id}`, direction: 'desc' }, ctx.query) };
    },
  }),
  route({
    method: 'GET',
    url: '/apps/:app/deploys/:id',
    tag: 'deploys',
    summary: 'One deploy (by its id or a prefix of it) and its log so far',
    params: deployParams,
    response: deployDetailSchema,
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      const deploy = ctx.platform.state.deploys.find(app, { idPrefix: ctx.params.id });
      if (!deploy) throw new NotFoundError(`No deploy ${ctx.params.id} of ${app}`);
      const log = deploy.log === null ? await ctx.platform.logs.lines(deploy.id) : deploy.log.split('\n');
      return { body: { ...deployJson(deploy), log } };
    },
  }),
];

/** The release serving now, as the releases list has it. */
function currentRelease(platform: Platform, app: string) {
  const current = platform.state.releases.current(app);
  if (!current) throw new NotFoundError(`${app} has no release`);
  return releaseJson(current, current.version);
}

const releases = [
  route({
    method: 'GET',
    url: '/apps/:app/releases',
    tag: 'releases',
    summary: 'The app’s releases, newest first; `current` marks the serving one',
    params: appParams,
    query: pageQuery,
    response: pageOf(releaseSchema),
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      const { releases } = ctx.platform.state;
      const current = releases.current(app)?.version;
      const list = releases.list(app).map((r) => releaseJson(r, current));
      return { body: paginate(list, { key: (r) => r.version, direction: 'desc' }, ctx.query) };
    },
  }),
  route({
    method: 'POST',
    url: '/apps/:app/releases/rollback',
    tag: 'releases',
    summary: 'Roll back to the previous release, or to `version`; answers the release now serving (a new one)',
    params: appParams,
    body: z.object({ version: z.number().int().min(1).optional() }).optional(),
    response: releaseSchema,
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      const version = ctx.body?.version;
      await run(ctx, ['releases:rollback', app, ...(version === undefined ? [] : [`v${version}`])]);
      return { body: currentRelease(ctx.platform, app) };
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
/** The app's config vars, their values masked unless revealed. */
function configJson(platform: Platform, app: string, reveal: boolean): ConfigJson {
  const env = platform.state.config.get(app);
  return { masked: !reveal, config: reveal ? env : Object.fromEntries(Object.keys(env).map((k) => [k, MASK])) };
}

const config = [
  route({
    method: 'GET',
    url: '/apps/:app/config',
    tag: 'config',
    summary: 'The app’s config vars; values masked unless reveal=true',
    params: appParams,
    query: z.object({ reveal: z.enum(['true', 'false']).default('false') }),
    response: configSchema,
    handle: async (ctx) => {
      return { body: configJson(ctx.platform, requireApp(ctx, ctx.params.app), ctx.query.reveal === 'true') };
    },
  }),
  route({
    method: 'PATCH',
    url: '/apps/:app/config',
    tag: 'config',
    summary:
      'Set and unset config vars as one release (restarts the app unless restart=false); answers the vars, masked',
    params: appParams,
    body: configChange,
    response: configSchema,
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      const { set, unset, restart } = ctx.body;
      if (Object.keys(set).length + unset.length === 0) throw new UserError('Nothing to change: give set and/or unset');
      const both = unset.find((key) => key in set);
      if (both) throw new UserError(`${both} is both set and unset`);
      for (const [key, value] of Object.entries(set)) validateValue(key, value);
      const next = { ...ctx.platform.state.config.get(app), ...set };
      unset.forEach((key) => delete next[key]);
      checkTotalSize(next);
      // Unset without a restart, then set with one: both land in the one release the set makes.
      const noRestart = restart ? [] : ['--no-restart'];
      const setting = Object.keys(set).length > 0;
      if (unset.length > 0)
        await run(ctx, ['config:unset', app, ...(setting ? ['--no-restart'] : noRestart), ...unset]);
      if (setting)
        await run(ctx, ['config:set', app, ...noRestart, ...Object.entries(set).map(([k, v]) => `${k}=${v}`)]);
      return { body: configJson(ctx.platform, app, false) };
    },
  }),
];

const formationOf = (platform: Platform, app: string) => platform.state.apps.get(app)?.formation ?? {};

const processes = [
  appRead(
    '/apps/:app/processes',
    'processes',
    'The app’s processes: formation (counts per type), and each container and its state',
    processesSchema,
    processesJson,
  ),
  appRead(
    '/apps/:app/processes/formation',
    'processes',
    'The formation: how many containers of each process type the app should run',
    formationSchema,
    formationOf,
  ),
  appRead(
    '/apps/:app/processes/usage',
    'processes',
    'What each running container uses now: CPU (100 is one CPU) and memory',
    z.array(usageSchema),
    appUsage,
  ),
  route({
    method: 'PUT',
    url: '/apps/:app/processes/formation',
    tag: 'processes',
    summary: 'Scale process types: {"web": 3, "worker": 1}; answers the whole formation',
    params: appParams,
    body: z.record(processName, z.number().int().min(0).max(100)),
    response: formationSchema,
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      const pairs = Object.entries(ctx.body).map(([type, count]) => `${type}=${count}`);
      if (pairs.length === 0) throw new UserError('Give at least one process type and its count');
      await run(ctx, ['ps:scale', app, ...pairs]);
      return { body: formationOf(ctx.platform, app) };
    },
  }),
  ...['restart', 'stop', 'start', 'rebuild'].map((action) =>
    appAction(
      'POST',
      `/apps/:app/processes/${action}`,
      'processes',
      `ps:${action} the app; answers its processes after`,
      [`ps:${action}`],
      [processesSchema, processesJson],
    ),
  ),
];

/**
 * Adding to and removing from one of the app's lists: `POST <url> {<field>: …}` runs
 * `<add> <app> <value>` and answers 201 with `added`'s read; `DELETE <url>/<value>` runs
 * `<remove> <app> <value>` and answers `removed`'s read, or 204 without one.
 */
function appMembers(
  url: string,
  tag: string,
  field: string,
  value: z.ZodString,
  add: [command: string, summary: string, answer: Answer<{ app: string; value: string }>],
  remove: [command: string, summary: string, answer?: Answer<{ app: string; value: string }>],
): ApiRoute[] {
  const member = async (ctx: Ctx, given: string, command: string, answer?: Answer<{ app: string; value: string }>) => {
    const app = requireApp(ctx, (ctx.params as { app: string }).app);
    await run(ctx, [command, app, given]);
    return answer ? { body: await answer[1](ctx.platform, { app, value: given }) } : {};
  };
  const [, , removed] = remove;
  return [
    route({
      method: 'POST',
      url,
      tag,
      summary: add[1],
      params: appParams,
      body: z.object({ [field]: value }),
      response: add[2][0],
      status: 201,
      handle: async (ctx) => member(ctx, (ctx.body as Record<string, string>)[field]!, add[0], add[2]),
    }),
    route({
      method: 'DELETE',
      url: `${url}/:${field}`,
      tag,
      summary: remove[1],
      params: appParams.extend({ [field]: value }),
      ...(removed ? { response: removed[0] } : { status: 204 }),
      handle: async (ctx) => member(ctx, (ctx.params as Record<string, string>)[field]!, remove[0], removed),
    }),
  ];
}

const domainsAnswer: Answer<{ app: string }> = [domainsSchema, (platform, { app }) => domainsJson(platform, app)];

const domains = [
  appRead(
    '/apps/:app/domains',
    'domains',
    'The app’s domains, the global ones, and the URLs it answers on',
    domainsSchema,
    domainsJson,
  ),
  ...appMembers(
    '/apps/:app/domains',
    'domains',
    'domain',
    z.string().min(1).max(253),
    ['domains:add', 'Add a domain; answers the app’s domains', domainsAnswer],
    ['domains:remove', 'Remove a domain; answers the app’s domains', domainsAnswer],
  ),
];

const checks = [
  appRead(
    '/apps/:app/checks',
    'checks',
    'The app’s check settings: which process types disable or skip checks, and wait-to-retire',
    checksSchema,
    checksJson,
  ),
  route({
    method: 'POST',
    url: '/apps/:app/checks/run',
    tag: 'checks',
    summary:
      'Run the current release’s checks against the running containers; a failed check is `ok: false`, not an error',
    params: appParams,
    response: checksRunSchema,
    handle: async (ctx) => {
      const outcomes = await checkRunning(ctx.platform, requireApp(ctx, ctx.params.app), [], () => {});
      const instances = outcomes.map(({ label, outcome }) => ({
        name: label,
        ok: outcome.ok,
        reason: outcome.ok ? null : outcome.reason,
      }));
      return { body: { ok: instances.every((i) => i.ok), instances } };
    },
  }),
];

const certs = [
  appRead('/apps/:app/certs', 'certs', 'The app’s TLS certificate, if it has one', certsSchema, certsJson),
  route({
    method: 'POST',
    url: '/apps/:app/certs',
    tag: 'certs',
    summary: 'Install a certificate and key (PEM); answers the certificate',
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
    response: certsSchema,
    status: 201,
    handle: async (ctx) => {
      const app = requireApp(ctx, ctx.params.app);
      await run(ctx, ['certs:add', app], `${ctx.body.certificate.trim()}\n${ctx.body.key.trim()}\n`);
      return { body: certsJson(ctx.platform, app) };
    },
  }),
  appAction('DELETE', '/apps/:app/certs', 'certs', 'Remove the app’s certificate', ['certs:remove']),
];

/** Services, their backups, keys and nodes are every app's business: admins only, as their commands are. */
const adminOnly = (ctx: Ctx, what: string) => requireAdmin(ctx.caller, what);

const services = [
  route({
    method: 'GET',
    url: '/services',
    tag: 'services',
    summary: 'Every database service, by type and name (admins)',
    query: pageQuery,
    response: pageOf(serviceItemSchema),
    handle: async (ctx) => {
      adminOnly(ctx, 'Listing services');
      const all = allServiceKinds.flatMap((kind) =>
        ctx.platform.state.services.list(kind.kind).map((s) => ({ kind, name: s.name })),
      );
      const page = paginate(all, { key: (s) => `${s.kind.kind}/${s.name}`, direction: 'asc' }, ctx.query);
      const items = await Promise.all(
        page.items.map(async (s) => ({ type: s.kind.kind, ...(await serviceJson(ctx.platform, s.kind, s.name)) })),
      );
      return { body: { ...page, items } };
    },
  }),
  route({
    method: 'POST',
    url: '/services/:type',
    tag: 'services',
    summary: 'Create a service',
    params: z.object({ type: serviceType }),
    body: z.object({ name: serviceParams.shape.name }),
    response: serviceSchema,
    status: 201,
    handle: async (ctx) => {
      await run(ctx, [`${ctx.params.type}:create`, ctx.body.name]);
      return { body: await serviceJson(ctx.platform, kindOf(ctx.params.type), ctx.body.name) };
    },
  }),
  route({
    method: 'GET',
    url: '/services/:type/:name',
    tag: 'services',
    summary: 'A service: its status and linked apps (admins)',
    params: serviceParams,
    response: serviceSchema,
    handle: async (ctx) => {
      adminOnly(ctx, 'Reading a service');
      const kind = kindOf(ctx.params.type);
      const service = requireService(ctx.platform, kind, ctx.params.name);
      return { body: await serviceJson(ctx.platform, kind, service.name) };
    },
  }),
  route({
    method: 'DELETE',
    url: '/services/:type/:name',
    tag: 'services',
    summary: 'Destroy a service and its data',
    params: serviceParams,
    status: 204,
    handle: async (ctx) => {
      await run(ctx, [`${ctx.params.type}:destroy`, ctx.params.name, '--force']);
      return {};
    },
  }),
  route({
    method: 'POST',
    url: '/services/:type/:name/links',
    tag: 'services',
    summary: 'Link a service to an app (restarts it with the URL); answers the service',
    params: serviceParams,
    body: z.object({ app: appName }),
    response: serviceSchema,
    status: 201,
    handle: async (ctx) => {
      await run(ctx, [`${ctx.params.type}:link`, ctx.params.name, requireApp(ctx, ctx.body.app)]);
      return { body: await serviceJson(ctx.platform, kindOf(ctx.params.type), ctx.params.name) };
    },
  }),
  route({
    method: 'DELETE',
    url: '/services/:type/:name/links/:app',
    tag: 'services',
    summary: 'Unlink a service from an app; answers the service',
    params: serviceParams.extend({ app: appName }),
    response: serviceSchema,
    handle: async (ctx) => {
      await run(ctx, [`${ctx.params.type}:unlink`, ctx.params.name, requireApp(ctx, ctx.params.app)]);
      return { body: await serviceJson(ctx.platform, kindOf(ctx.params.type), ctx.params.name) };
    },
  }),
];

const backupFile = serviceParams.extend({
  dir: z.string().regex(BACKUP_DIR),
  file: z.string().regex(/^[a-z]+-[a-z0-9-]+-[0-9TZ-]+\.dump$/),
});

/** The service's backups, newest first, for an admin. */
function backupsOf(ctx: RouteContext<z.infer<typeof serviceParams>, unknown, unknown>) {
  adminOnly(ctx, 'Backups');
  const kind = kindOf(ctx.params.type);
  return serviceBackups(ctx.platform, kind, requireService(ctx.platform, kind, ctx.params.name));
}

const backups = [
  route({
    method: 'GET',
    url: '/services/:type/:name/backups',
    tag: 'services',
    summary: 'The service’s backups, newest first (admins)',
    params: serviceParams,
    query: pageQuery,
    response: pageOf(backupSchema),
    handle: async (ctx) => ({
      body: paginate(backupsOf(ctx), { key: (b) => `${b.created_at} ${b.id}`, direction: 'desc' }, ctx.query),
    }),
  }),
  route({
    method: 'POST',
    url: '/services/:type/:name/backups',
    tag: 'services',
    summary: 'Take a backup now, into the backup directory named after the service (keeps 7); answers it (admins)',
    params: serviceParams,
    response: backupSchema,
    status: 201,
    handle: async (ctx) => {
      await run(ctx, [`${ctx.params.type}:backup`, ctx.params.name, ctx.params.name]);
      // Newest first: the one just taken into the service's own directory.
      const taken = backupsOf(ctx).find((b) => b.where === 'local' && b.dir === ctx.params.name);
      if (!taken) throw new NotFoundError(`The backup of ${ctx.params.name} is not there`);
      return { body: taken };
    },
  }),
  route({
    method: 'GET',
    url: '/services/:type/:name/backups/:dir/:file',
    tag: 'services',
    summary: 'Download one backup (admins)',
    params: backupFile,
    handle: async (ctx) => {
      // Only local dumps are files here, and only this service's; a bucket's backups are restored with backup-restore.
      const found = backupsOf(ctx).find(
        (b) => b.where === 'local' && b.dir === ctx.params.dir && b.file === ctx.params.file,
      );
      if (!found) throw new NotFoundError(`No backup ${ctx.params.dir}/${ctx.params.file} of ${ctx.params.name}`);
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
    query: pageQuery,
    response: pageOf(keySchema),
    handle: async (ctx) => {
      adminOnly(ctx, 'Listing keys');
      return { body: paginate(keysJson(ctx.platform), { key: (k) => k.name, direction: 'asc' }, ctx.query) };
    },
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
    response: keySchema,
    status: 201,
    handle: async (ctx) => {
      await run(ctx, ['ssh-keys:add', ctx.body.name, ...(ctx.body.admin ? ['--admin'] : [])], ctx.body.key);
      const added = keysJson(ctx.platform).find((k) => k.name === ctx.body.name);
      if (!added) throw new NotFoundError(`No key ${ctx.body.name}`);
      return { body: added };
    },
  }),
  route({
    method: 'DELETE',
    url: '/keys/:name',
    tag: 'keys',
    summary: 'Remove an SSH key and its tokens (admins)',
    params: z.object({ name: z.string().min(1).max(64) }),
    status: 204,
    handle: async (ctx) => {
      await run(ctx, ['ssh-keys:remove', ctx.params.name]);
      return {};
    },
  }),
  route({
    method: 'GET',
    url: '/apps/:app/grants',
    tag: 'keys',
    summary: 'The non-admin keys granted the app (admins)',
    params: appParams,
    query: pageQuery,
    response: pageOf(grantSchema),
    handle: async (ctx) => {
      adminOnly(ctx, 'Listing grants');
      const app = requireApp(ctx, ctx.params.app);
      const granted = ctx.platform.state.access.keysOf(app).map((key) => ({ key }));
      return { body: paginate(granted, { key: (g) => g.key, direction: 'asc' }, ctx.query) };
    },
  }),
  ...appMembers(
    '/apps/:app/grants',
    'keys',
    'key',
    z.string().min(1).max(64),
    [
      'acl:add',
      'Grant a key the app; answers the grant (admins)',
      [grantSchema, (_platform, { value }) => ({ key: value })],
    ],
    ['acl:remove', 'Take the app away from a key (admins)'],
  ),
];

const nodes = [
  route({
    method: 'GET',
    url: '/nodes',
    tag: 'nodes',
    summary: 'The swarm’s nodes (admins; 409 until scheduler-swarm:init)',
    query: pageQuery,
    response: pageOf(nodeSchema),
    handle: async (ctx) => {
      adminOnly(ctx, 'Listing nodes');
      return { body: paginate(await nodesJson(ctx.platform), { key: (n) => n.id, direction: 'asc' }, ctx.query) };
    },
  }),
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
  ...nodes,
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
