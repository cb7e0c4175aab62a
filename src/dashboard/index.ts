import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Handlebars from 'handlebars';
import { mayUseApp } from '../access/index.js';
import { isValidAppName } from '../core/names.js';
import type { Platform } from '../platform.js';
import { cookieValue, csrfMatches, SESSION_COOKIE, type Sessions } from '../access/sessions.js';
import type { FailureCounter } from '../core/failure-counter.js';

/**
 * The dashboard: server-rendered pages (Handlebars) with one small script that reads and
 * changes everything through /api/v1 with the session cookie and its CSRF token. Served by
 * the daemon itself, nothing from elsewhere.
 */
const TEMPLATES = new URL('../../templates/dashboard/', import.meta.url).pathname;
const ASSETS: Record<string, string> = { 'dashboard.js': 'text/javascript', 'dashboard.css': 'text/css' };
const templates = Handlebars.create();
const page = (name: string) => templates.compile(fs.readFileSync(path.join(TEMPLATES, `${name}.hbs`), 'utf8'));
const layout = page('layout');
const pages = { login: page('login'), apps: page('apps'), app: page('app'), services: page('services') };

interface DashboardDeps {
  platform: Platform;
  sessions: Sessions;
  failedAuth: FailureCounter;
}

export async function registerDashboard(app: FastifyInstance, { platform, sessions, failedAuth }: DashboardDeps): Promise<void> {
  const render = (reply: FastifyReply, name: keyof typeof pages, context: Record<string, unknown>, status = 200) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(layout({ title: context.title, csrf: context.csrf ?? '', loggedIn: context.csrf !== undefined, body: new Handlebars.SafeString(pages[name](context)) }));
  const sessionOf = (request: FastifyRequest) => sessions.resume(cookieValue(request.headers.cookie, SESSION_COOKIE));
  const secure = (request: FastifyRequest) => request.protocol === 'https';

  app.get('/login', async (_request, reply) => render(reply, 'login', { title: 'Log in' }));

  app.post('/login', async (request, reply) => {
    if (failedAuth.exceeded(request.ip)) return render(reply, 'login', { title: 'Log in', error: 'Too many failed attempts; wait a minute' }, 429);
    const token = (request.body as { token?: unknown } | undefined)?.token;
    const started = typeof token === 'string' ? sessions.start(token.trim()) : undefined;
    if (!started) {
      failedAuth.add(request.ip);
      return render(reply, 'login', { title: 'Log in', error: 'That token is not valid (make one with tokens:create over SSH)' }, 401);
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
    return render(reply, 'apps', { title: 'Apps', csrf: session.csrf, who: session.caller.name });
  });

  app.get('/services', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return reply.code(303).header('location', '/login').send();
    return render(reply, 'services', { title: 'Services', csrf: session.csrf, admin: session.caller.isAdmin });
  });

  app.get('/apps/:app', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return reply.code(303).header('location', '/login').send();
    const name = (request.params as { app: string }).app;
    const known = isValidAppName(name) && platform.state.apps.get(name) !== undefined && mayUseApp(platform.state, session.caller, name);
    if (!known) return render(reply, 'apps', { title: 'Apps', csrf: session.csrf, who: session.caller.name, error: `App ${name} does not exist` }, 404);
    return render(reply, 'app', { title: name, csrf: session.csrf, app: name });
  });

  app.get('/assets/:file', async (request, reply) => {
    const file = (request.params as { file: string }).file;
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!type) return reply.code(404).send({ error: 'No such resource' });
    return reply.type(`${type}; charset=utf-8`).header('cache-control', 'no-cache').send(fs.readFileSync(path.join(TEMPLATES, 'assets', file)));
  });
}
