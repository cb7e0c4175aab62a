import { z } from 'zod';
import { ERROR_STATUSES } from './errors.js';
import type { ApiRoute } from './routes.js';
import { errorSchema } from './schemas.js';

const VERSION = '1';
/** A request's schema as it may be sent (defaults optional); an answer's as it is sent (every field there). */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input') => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
};
const ERRORS = { ...ERROR_STATUSES, 500: 'Internal error (the details are in the daemon’s log)' };
/** Each error status once, in components (the body is always `{error}`)… */
const ERROR_COMPONENTS = Object.fromEntries(
  Object.entries(ERRORS).map(([status, description]) => [
    `Error${status}`,
    { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  ]),
);
/** …and every operation may answer any of them (a token, a rate limit, the engine concern them all). */
const errorResponses = Object.fromEntries(
  Object.keys(ERRORS).map((status) => [status, { $ref: `#/components/responses/Error${status}` }]),
);

/** The streaming routes, described by hand: their answers are streams, not one JSON document. */
const STREAMS = {
  '/apps/{app}/deploys/{id}/log': {
    get: {
      tags: ['deploys'],
      summary:
        'A deploy’s log as server-sent events: `line` events (data: the line as a JSON string), then `end` (data: {ok, message}); each has an id, and Last-Event-ID resumes after it',
      parameters: ['app', 'id'].map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      responses: {
        200: { description: 'The log', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...errorResponses,
      },
    },
  },
  '/events': {
    get: {
      tags: ['apps'],
      summary:
        'Changes of the apps the token may use, as server-sent events: `snapshot` (data: every app’s summary) at connect, then `app` (data: one app’s new summary), `app-removed` (data: {name}) and `event` (data: one of the platform’s events about those apps, as webhooks get it: {type, id, at, app, …}); a reconnect starts with a fresh snapshot',
      responses: {
        200: { description: 'The events', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...errorResponses,
      },
    },
  },
  '/commands': {
    post: {
      tags: ['commands'],
      summary: 'Run any Slipway command as over SSH; its output streams as NDJSON lines {stream, line}, then {exit}',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                command: { type: 'array', items: { type: 'string' }, minItems: 1 },
                stdin: { type: 'string' },
              },
              required: ['command'],
            },
          },
        },
      },
      responses: {
        200: { description: 'The output', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
        ...errorResponses,
      },
    },
  },
};

/** OpenAPI 3.1 for /api/v1, made from the same zod schemas that validate each request. */
export function openApiDocument(routes: ApiRoute[]): object {
  const paths: Record<string, Record<string, object>> = structuredClone(STREAMS);
  for (const route of routes) {
    const path = route.url.replace(/:([a-z]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Slipway API',
      version: VERSION,
      description:
        'Every request: `Authorization: Bearer <token>` (make one with `tokens:create <name>` over SSH). ' +
        'Lists answer a page, `{items, next_cursor}`: give `?limit=` (at most 200) and `?cursor=<next_cursor>` for the next; ' +
        'next_cursor is null on the last page. Every error is `{error}` with its status.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: { token: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchema(errorSchema, 'output') },
      responses: ERROR_COMPONENTS,
    },
    security: [{ token: [] }],
    paths,
  };
}

function operation(route: ApiRoute): object {
  const parameters = [
    ...fields(route.params).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
    ...fields(route.query).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
  ];
  const success = route.status ?? 200;
  return {
    tags: [route.tag],
    summary: route.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.safeParse(undefined).success,
            content: { 'application/json': { schema: jsonSchema(route.body) } },
          },
        }
      : {}),
    responses: {
      [success]:
        success === 204
          ? { description: 'Done; nothing to answer' }
          : { description: 'Done', content: answerOf(route) },
      ...errorResponses,
    },
  };
}

/** A JSON answer by its schema; a route without one answers a file. */
const answerOf = (route: ApiRoute) =>
  route.response
    ? { 'application/json': { schema: jsonSchema(route.response, 'output') } }
    : { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } };

function fields(schema: z.ZodType | undefined): [string, object][] {
  if (!schema) return [];
  const properties = (jsonSchema(schema) as { properties?: Record<string, object> }).properties ?? {};
  return Object.entries(properties);
}
