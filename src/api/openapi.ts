import { z } from 'zod';
import type { ApiRoute } from './routes.js';

const VERSION = '1';
const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
const errorSchema = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };

/** The streaming routes, described by hand: their answers are streams, not one JSON document. */
const STREAMS = {
  '/apps/{app}/deploys/{id}/log': {
    get: {
      tags: ['deploys'],
      summary:
        'A deploy’s log as server-sent events: `line` events (data: the line as a JSON string), then `end` (data: {ok, message}); each has an id, and Last-Event-ID resumes after it',
      parameters: ['app', 'id'].map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      responses: { 200: { description: 'The log', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
    },
  },
  '/events': {
    get: {
      tags: ['apps'],
      summary:
        'Changes of the apps the token may use, as server-sent events: `snapshot` (data: every app’s summary) at connect, then `app` (data: one app’s new summary), `app-removed` (data: {name}) and `event` (data: one of the platform’s events about those apps, as webhooks get it: {type, id, at, app, …}); a reconnect starts with a fresh snapshot',
      responses: {
        200: { description: 'The events', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        429: { description: 'Too many streams open for this token' },
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
      description: 'Every request: `Authorization: Bearer <token>` (make one with `tokens:create <name>` over SSH).',
    },
    servers: [{ url: '/api/v1' }],
    components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
    security: [{ token: [] }],
    paths,
  };
}

function operation(route: ApiRoute): object {
  const parameters = [
    ...fields(route.params).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
    ...fields(route.query).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
  ];
  const success = route.created ? 201 : 200;
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
      [success]: {
        description: 'Done',
        content: { 'application/json': { schema: route.response ? jsonSchema(route.response) : {} } },
      },
      400: { description: 'Bad input; nothing changed', content: { 'application/json': { schema: errorSchema } } },
      401: { description: 'No valid token', content: { 'application/json': { schema: errorSchema } } },
      404: {
        description: 'No such app (or not one the token may use), or no such thing in it',
        content: { 'application/json': { schema: errorSchema } },
      },
    },
  };
}

function fields(schema: z.ZodType | undefined): [string, object][] {
  if (!schema) return [];
  const properties = (jsonSchema(schema) as { properties?: Record<string, object> }).properties ?? {};
  return Object.entries(properties);
}
