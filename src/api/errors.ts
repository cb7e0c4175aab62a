import { errorMessage, UserError, type ErrorKind } from '../core/errors.js';

/**
 * The one place where a failure becomes an HTTP status: a UserError by its kind (which the
 * domain and the commands choose where the failure arises), never by its words.
 */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** What each error status means, for the OpenAPI document. */
export const ERROR_STATUSES: Record<number, string> = {
  400: 'Bad input; nothing changed',
  401: 'No valid token',
  403: 'The token may not do this (an admin’s token is needed)',
  404: 'No such app (or not one the token may use), or no such thing in it',
  409: 'The current state refuses it: a name taken, a lock held, swarm mode not set up',
  429: 'Too many requests, or failed token checks, from this address',
  503: 'Something Slipway needs (the engine, the job queue) cannot be reached now; try again',
};

/** Socket errors of a daemon Slipway talks to (dockerd, Redis) that is down or restarting. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

export interface ErrorAnswer {
  status: number;
  body: { error: string };
}

/**
 * The status and JSON body for anything a route threw: a UserError by its kind; a Fastify
 * error with a 4xx status as it is; a refused connection to a socket as 503; else 500,
 * with the details left to the log (`internal` is true).
 */
export function errorAnswer(error: unknown): ErrorAnswer & { internal: boolean } {
  if (error instanceof UserError)
    return { status: STATUS_OF_KIND[error.kind], body: { error: error.message }, internal: false };
  const { statusCode, code, syscall } = error as { statusCode?: unknown; code?: unknown; syscall?: unknown };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return { status: statusCode, body: { error: errorMessage(error) }, internal: false };
  if (typeof code === 'string' && UNREACHABLE.has(code) && syscall !== 'open')
    return { status: 503, body: { error: `A service Slipway needs cannot be reached now (${code})` }, internal: true };
  return { status: 500, body: { error: 'Internal error' }, internal: true };
}

/** Too many of something at once for one token (event streams): 429, as Fastify's rate limit answers. */
export class TooManyRequestsError extends Error {
  readonly statusCode = 429;
}

/** The parts of a request a failure's log line names: what a Fastify request carries. */
export interface FailedRequest {
  id: string;
  method: string;
  url: string;
  routeOptions: { url?: string };
  params: unknown;
}

/**
 * What the log line of an internal failure says it concerns: the route (its pattern, so the
 * line carries no token or query string), Fastify's request id and the app the route names.
 */
export function failedRequestFields(request: FailedRequest): { request: string; requestId: string; app?: string } {
  const route = request.routeOptions.url ?? request.url.split('?')[0]!;
  const { app } = (request.params ?? {}) as { app?: unknown };
  return {
    request: `${request.method} ${route}`,
    requestId: request.id,
    ...(typeof app === 'string' ? { app } : {}),
  };
}
