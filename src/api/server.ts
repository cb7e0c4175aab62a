import fs from 'node:fs';
import http from 'node:http';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Caller } from '../access/index.js';
import { authenticateToken } from '../access/tokens.js';
import { metricsText, PROMETHEUS_CONTENT_TYPE } from '../metrics/index.js';
import type { CommandOutput, DeployEnd } from '../model/api.js';
import type { Platform } from '../platform.js';
import { registerDashboard } from '../dashboard/index.js';
import { invoke } from './invoke.js';
import { lastEventId, serverSentEvent } from './sse.js';
import type { DeployResult } from '../queue/logs.js';
import { openApiDocument } from './openapi.js';
import { errorAnswer, failedRequestFields } from './errors.js';
import { NotFoundError, UserError } from '../core/errors.js';
import { commandBody, deployParams, requireApp, ROUTES, type ApiRoute } from './routes.js';
import { cookieValue, csrfMatches, fromOwnPages, SESSION_COOKIE, Sessions } from '../access/sessions.js';
import { dropUntrustedForwarding } from './forwarded.js';
import { FailureCounter } from '../core/failure-counter.js';
import { lineLog } from '../core/log.js';
import { AppWatch } from './app-watch.js';
import { AppEventStreams } from './events.js';

export const API_PREFIX = '/api/v1';
/** Per client address: plenty for scripts and the dashboard, a wall for a flood. */
const REQUESTS_PER_MINUTE = 600;
/** Failed token checks per client address and minute before it gets 429s. */
const FAILED_AUTH_PER_MINUTE = 20;

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

export interface ApiServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The HTTP API: Fastify on a loopback port, published through Slipway's nginx on the
 * dashboard host. Every request carries `Authorization: Bearer <token>` (never a token in a
 * URL); it acts as the token's key through the same commands SSH runs.
 */
export async function startApiServer(
  platform: Platform,
  options: { host: string; port: number; proxySecret: string },
): Promise<ApiServer> {
  // Forwarding headers are believed only from Slipway's nginx (it connects from 127.0.0.1 and
  // proves itself with the secret); anyone else on this host is known by its own address.
  const serverFactory = (handler: http.RequestListener) =>
    http.createServer((request, response) => {
      dropUntrustedForwarding(request.headers, options.proxySecret);
      handler(request, response);
    });
  const app = Fastify({
    logger: false,
    trustProxy: '127.0.0.1',
    serverFactory,
    bodyLimit: 2 * 1024 * 1024,
    forceCloseConnections: true,
  });
  // Not upgrade-insecure-requests: the dashboard is served over plain HTTP until it has a certificate.
  // Referrer-Policy same-origin, not no-referrer: under no-referrer a browser sends `Origin: null`
  // even from the dashboard's own pages, and over plain HTTP Origin is all that says where a change came from.
  await app.register(helmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], upgradeInsecureRequests: null } },
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(rateLimit, { max: REQUESTS_PER_MINUTE, timeWindow: '1 minute' });
  const failedAuth = new FailureCounter(FAILED_AUTH_PER_MINUTE, 60_000);
  const sessions = new Sessions(platform.state);
  // One watch of every app for all open event streams, whoever opened them.
  const watch = new AppWatch(platform);
  const appEvents = new AppEventStreams(platform.state, watch);
  app.addHook('onClose', async () => watch.stop());
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.setErrorHandler((error, request, reply) => {
    const answer = errorAnswer(error);
    if (answer.internal)
      lineLog()('API request failed', { level: 'error', err: error, ...failedRequestFields(request) });
    return reply.code(answer.status).send(answer.body);
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'No such resource' }));

  app.addHook('onRequest', async (request, reply) => {
    if (needsOwnPages(request) && !fromOwnPages(request.headers, `${request.protocol}://${request.host}`)) {
      return reply.code(403).send({
        error:
          'Refused: a dashboard login or change must come from the dashboard’s own pages (Origin or Sec-Fetch-Site)',
      });
    }
  });
  app.get(`${API_PREFIX}/openapi.json`, async () => openApiDocument(ROUTES));
  await registerDashboard(app, { platform, sessions, failedAuth });

  const refuseUnknown = (request: FastifyRequest, reply: FastifyReply) => {
    failedAuth.add(request.ip);
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: 'A valid API token is required: Authorization: Bearer <token> (tokens:create over SSH)' });
  };
  // Prometheus's path, beside the API rather than under it: an admin's token or session, or a scrape token.
  app.get('/metrics', async (request, reply) => {
    if (failedAuth.exceeded(request.ip))
      return reply.code(429).send({ error: 'Too many failed token checks; wait a minute' });
    const caller = callerOf(platform, sessions, request);
    if (caller === 'csrf' || caller === undefined) return refuseUnknown(request, reply);
    if (!caller.isAdmin && !caller.scrapeOnly)
      return reply.code(403).send({ error: 'Metrics cover every app: an admin’s token or a scrape token reads them' });
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(await metricsText(platform));
  });

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        if (failedAuth.exceeded(request.ip))
          return reply.code(429).send({ error: 'Too many failed token checks; wait a minute' });
        const caller = callerOf(platform, sessions, request);
        if (caller === 'csrf')
          return reply.code(403).send({ error: 'A change from the dashboard needs its x-csrf-token header' });
        if (caller?.scrapeOnly)
          return reply.code(403).send({ error: 'A scrape token reads /metrics and nothing else' });
        if (caller) return void (request.caller = caller);
        return refuseUnknown(request, reply);
      });
      for (const route of ROUTES) {
        api.route({
          method: route.method,
          url: route.url,
          handler: async (request, reply) => {
            const result = await route.handle({
              platform,
              caller: request.caller,
              ...parseInput(route, request),
              signal: abortedWith(reply),
            });
            if (result.download) {
              reply
                .header('content-disposition', `attachment; filename="${result.download.name}"`)
                .type('application/octet-stream');
              return reply.send(fs.createReadStream(result.download.path));
            }
            if (result.body === undefined) return reply.code(204).send();
            return reply.code(route.status ?? 200).send(result.body);
          },
        });
      }
      api.get('/apps/:app/deploys/:id/log', (request, reply) => streamDeployLog(platform, request, reply));
      api.post('/commands', (request, reply) => streamCommand(platform, request, reply));
      api.get('/events', async (request, reply) => {
        await appEvents.serve(request.caller, () => startStream(reply, 'text/event-stream'), abortedWith(reply));
        reply.raw.end();
      });
    },
    { prefix: API_PREFIX },
  );

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : options.port, close: () => app.close() };
}

/**
 * A change made with the session cookie, or a login (which makes one): another site's
 * page could send either from the user's browser. A bearer token is no cookie, and a
 * browser never adds one by itself.
 */
function needsOwnPages(request: FastifyRequest): boolean {
  if (['GET', 'HEAD', 'OPTIONS'].includes(request.method) || request.headers.authorization !== undefined) return false;
  return request.routeOptions.url === '/login' || cookieValue(request.headers.cookie, SESSION_COOKIE) !== undefined;
}

/**
 * A bearer token's caller; else a dashboard session's, whose changes must carry its CSRF
 * token in a header (a cookie alone could come from another site's form).
 */
function callerOf(platform: Platform, sessions: Sessions, request: FastifyRequest): Caller | 'csrf' | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([^\s]{1,200})$/.exec(header);
    return match ? authenticateToken(platform.state, match[1]!) : undefined;
  }
  const session = sessions.resume(cookieValue(request.headers.cookie, SESSION_COOKIE));
  if (!session) return undefined;
  if (!['GET', 'HEAD'].includes(request.method) && !csrfMatches(session.csrf, request.headers['x-csrf-token']))
    return 'csrf';
  return session.caller;
}

/** The request's params, query and body as the route's schemas read them, or a 400 saying what is wrong. */
function parseInput(route: Pick<ApiRoute, 'params' | 'query' | 'body'>, request: FastifyRequest) {
  const parse = (schema: z.ZodType | undefined, value: unknown, where: string) => {
    if (!schema) return value;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const field = [where, ...issue.path.map(String)].join('.');
    throw new UserError(`Invalid ${field}: ${issue.message}`);
  };
  return {
    params: parse(route.params, request.params, 'params'),
    query: parse(route.query, request.query, 'query'),
    body: parse(route.body, request.body, 'body'),
  };
}

/**
 * Aborts when the client goes away before its answer is complete, so a followed log or a
 * command's output stops being sent (a deploy it started goes on, as over SSH). The
 * response's close says so; the request's comes as soon as its body has been read.
 */
function abortedWith(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => reply.raw.writableFinished || controller.abort());
  return controller.signal;
}

/**
 * A deploy's log as server-sent events: every line so far, then each as it comes, then an
 * `end` event with the result. A finished deploy's log comes from its record. Lines are
 * numbered from the log's start, live or recorded alike (their `id:`), so a client that
 * reconnects with Last-Event-ID gets only the lines after that one.
 */
async function streamDeployLog(platform: Platform, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { params } = parseInput({ params: deployParams }, request) as { params: z.infer<typeof deployParams> };
  const app = requireApp({ platform, caller: request.caller }, params.app);
  const deploy = platform.state.deploys.find(app, { idPrefix: params.id });
  if (!deploy) throw new NotFoundError(`No deploy ${params.id} of ${app}`);
  const send = startStream(reply, 'text/event-stream');
  const after = lastEventId(request.headers['last-event-id']);
  let count = 0;
  const lines = (text: string) => {
    for (const line of text.split('\n')) if (++count > after) send(serverSentEvent('line', count, line));
  };
  const end = (result: DeployResult) => send(serverSentEvent('end', count + 1, result satisfies DeployEnd));
  if (deploy.finishedAt !== null) {
    lines(deploy.log ?? '');
    end({ ok: deploy.status === 'succeeded', message: deploy.error ?? undefined });
  } else {
    const result = await platform.logs.follow(deploy.id, lines, abortedWith(reply));
    if (result) end(result);
  }
  reply.raw.end();
}

/**
 * `POST /commands {"command": ["config:set", "app", "K=V"]}`: any Slipway command, with the
 * output SSH would print, streamed as NDJSON (`{"stream":"stdout","line":…}`), then `{"exit":N}`.
 */
async function streamCommand(platform: Platform, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { body } = parseInput({ body: commandBody }, request) as { body: z.infer<typeof commandBody> };
  const send = startStream(reply, 'application/x-ndjson');
  const done = await invoke(platform, request.caller, body.command, {
    stdin: body.stdin,
    signal: abortedWith(reply),
    onLine: (stream, line) => send(`${JSON.stringify({ stream, line } satisfies CommandOutput)}\n`),
  });
  send(`${JSON.stringify({ exit: done.code } satisfies CommandOutput)}\n`);
  reply.raw.end();
}

/** Takes the response over for streaming: headers now (with helmet's), then each write as it is made. */
function startStream(reply: FastifyReply, type: string): (chunk: string) => void {
  reply.hijack();
  reply.raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': `${type}; charset=utf-8`,
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  return (chunk) => void (reply.raw.writableEnded || reply.raw.write(chunk));
}
