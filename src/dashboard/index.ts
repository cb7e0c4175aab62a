import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Handlebars from 'handlebars';
import { mayUseApp } from '../access/index.js';
import { isValidAppName } from '../core/names.js';
import type { Platform } from '../platform.js';
import { allServiceKinds } from '../services/index.js';
import { cookieValue, csrfMatches, SESSION_COOKIE, type Sessions } from '../access/sessions.js';
import type { FailureCounter } from '../core/failure-counter.js';

/**
 * The dashboard: server-rendered pages (Handlebars) with a few small script modules (./client,
 * compiled beside this file) that read and change everything through /api/v1 with the session
 * cookie and its CSRF token. Served by the daemon itself, nothing from elsewhere.
 */
const TEMPLATES = new URL('../../templates/dashboard/', import.meta.url).pathname;
const CLIENT = new URL('./client/', import.meta.url).pathname;
/** uPlot's module and style sheet, for the app page's charts (src/dashboard/client/metrics-panel.ts). */
const UPLOT = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
/** What /assets/ serves, by name: the style sheets, uPlot, and every compiled module of the browser code. */
const ASSETS = new Map<string, { file: string; type: string }>([
  ['dashboard.css', { file: path.join(TEMPLATES, 'assets', 'dashboard.css'), type: 'text/css' }],
  ['metrics.css', { file: path.join(TEMPLATES, 'assets', 'metrics.css'), type: 'text/css' }],
  ['uPlot.esm.js', { file: path.join(UPLOT, 'uPlot.esm.js'), type: 'text/javascript' }],
  ['uPlot.min.css', { file: path.join(UPLOT, 'uPlot.min.css'), type: 'text/css' }],
  ...fs
    .readdirSync(CLIENT)
    .filter((name) => name.endsWith('.js'))
    .map((name): [string, { file: string; type: string }] => [
      name,
      { file: path.join(CLIENT, name), type: 'text/javascript' },
    ]),
]);
const templates = Handlebars.create();
const page = (name: string) => templates.compile(fs.readFileSync(path.join(TEMPLATES, `${name}.hbs`), 'utf8'));
const layout = page('layout');
const pages = {
  login: page('login'),
  apps: page('apps'),
  app: page('app'),
  services: page('services'),
  nodes: page('nodes'),
  access: page('access'),
};
/** The header's links, in order: a page's own is marked as the current one. */
const NAV = [
  { href: '/', label: 'Apps', page: 'apps' },
  { href: '/services', label: 'Services', page: 'services' },
  { href: '/nodes', label: 'Nodes', page: 'nodes' },
  { href: '/access', label: 'Tokens & keys', page: 'access' },
] as const;

interface DashboardDeps {
  platform: Platform;
  sessions: Sessions;
  failedAuth: FailureCounter;
}

export async function registerDashboard(
  app: FastifyInstance,
  { platform, sessions, failedAuth }: DashboardDeps,
): Promise<void> {
  const render = (reply: FastifyReply, name: keyof typeof pages, context: Record<string, unknown>, status = 200) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(
        layout({
          title: context.title,
          csrf: context.csrf ?? '',
          loggedIn: context.csrf !== undefined,
          who: context.who,
          admin: context.admin,
          nav: NAV.map((link) => ({ ...link, current: link.page === (name === 'app' ? 'apps' : name) })),
          body: new Handlebars.SafeString(pages[name](context)),
        }),
      );
  /** A page for a logged-in session: who it is and whether an admin, for the header and the page. */
  const sessionContext = (session: NonNullable<ReturnType<Sessions['resume']>>, title: string) => ({
    title,
    csrf: session.csrf,
    who: session.caller.name,
    admin: session.caller.isAdmin,
  });
  const sessionOf = (request: FastifyRequest) => sessions.resume(cookieValue(request.headers.cookie, SESSION_COOKIE));
  const secure = (request: FastifyRequest) => request.protocol === 'https';

  app.get('/login', async (_request, reply) => render(reply, 'login', { title: 'Log in' }));

  app.post('/login', async (request, reply) => {
    if (failedAuth.exceeded(request.ip))
      return render(reply, 'login', { title: 'Log in', error: 'Too many failed attempts; wait a minute' }, 429);
    const token = (request.body as { token?: unknown } | undefined)?.token;
    const started = typeof token === 'string' ? sessions.start(token.trim()) : undefined;
    if (!started) {
      failedAuth.add(request.ip);
      return render(
        reply,
        'login',
        { title: 'Log in', error: 'That token is not valid (make one with tokens:create over SSH)' },
        401,
      );
    }
    const cookie = `${SESSION_COOKIE}=${started.id}; Path=/; HttpOnly; SameSite=Strict${secure(request) ? '; Secure' : ''}`;
    return reply.code(303).header('set-cookie', cookie).header('location', '/').send();
  });

  app.post('/logout', async (request, reply) => {
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = sessions.resume(id);
    if (session && csrfMatches(session.csrf, (request.body as { csrf?: unknown } | undefined)?.csrf)) sessions.end(id);
    const cleared = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
    return reply.code(303).header('set-cookie', cleared).header('location', '/login').send();
  });

  app.get('/', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return reply.code(303).header('location', '/login').send();
    return render(reply, 'apps', sessionContext(session, 'Apps'));
  });

  for (const [url, name, title] of [
    ['/nodes', 'nodes', 'Nodes'],
    ['/access', 'access', 'Tokens & keys'],
  ] as const) {
    app.get(url, async (request, reply) => {
      const session = sessionOf(request);
      if (!session) return reply.code(303).header('location', '/login').send();
      return render(reply, name, sessionContext(session, title));
    });
  }

  app.get('/services', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return reply.code(303).header('location', '/login').send();
    return render(reply, 'services', {
      ...sessionContext(session, 'Services'),
      kinds: allServiceKinds.map(({ kind, title }) => ({ kind, title })),
    });
  });

  app.get('/apps/:app', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return reply.code(303).header('location', '/login').send();
    const name = (request.params as { app: string }).app;
    const known =
      isValidAppName(name) &&
      platform.state.apps.get(name) !== undefined &&
      mayUseApp(platform.state, session.caller, name);
    if (!known)
      return render(reply, 'apps', { ...sessionContext(session, 'Apps'), error: `App ${name} does not exist` }, 404);
    return render(reply, 'app', { ...sessionContext(session, name), app: name });
  });

  // Not counted against the API's rate limit: a page loads about twenty of these, the same for
  // everyone, and a few reloads a minute would spend a client's allowance on them (the page
  // then stays without its script). Revalidated at each load (a new Slipway ships new ones),
  // answered 304 while unchanged.
  app.get('/assets/:file', { config: { rateLimit: false } }, async (request, reply) => {
    const asset = ASSETS.get((request.params as { file: string }).file);
    if (!asset) return reply.code(404).send({ error: 'No such resource' });
    const { body, etag } = assetContent(asset.file);
    reply.type(`${asset.type}; charset=utf-8`).header('cache-control', 'no-cache').header('etag', etag);
    return request.headers['if-none-match'] === etag ? reply.code(304).send() : reply.send(body);
  });
}

const assetContents = new Map<string, { mtimeMs: number; body: Buffer; etag: string }>();

/** An asset's bytes and their ETag, read again only when the file changed. */
function assetContent(file: string): { body: Buffer; etag: string } {
  const { mtimeMs } = fs.statSync(file);
  let content = assetContents.get(file);
  if (content?.mtimeMs !== mtimeMs) {
    const body = fs.readFileSync(file);
    content = { mtimeMs, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    assetContents.set(file, content);
  }
  return content;
}
