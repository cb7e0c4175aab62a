import { describe, expect, test } from 'vitest';
import { errorAnswer, failedRequestFields, TooManyRequestsError } from '../../src/api/errors.js';
import { paginate, pageQuery } from '../../src/api/pagination.js';
import {
  ConflictError,
  EXIT_APP_MISSING,
  ForbiddenError,
  NotFoundError,
  UnavailableError,
  UserError,
} from '../../src/core/errors.js';

describe('a failure’s HTTP status comes from its kind, never its words', () => {
  test('each kind of UserError has its status, with its message as the body', () => {
    const cases: [UserError, number][] = [
      [new UserError('Invalid value'), 400],
      [new ForbiddenError('does not exist, needs an admin key'), 403],
      [new NotFoundError('App x does not exist', EXIT_APP_MISSING), 404],
      [new ConflictError('Name is already taken'), 409],
      [new UnavailableError('The job queue cannot be reached'), 503],
    ];
    for (const [error, status] of cases)
      expect(errorAnswer(error)).toEqual({ status, body: { error: error.message }, internal: false });
  });

  test('a message that reads like another kind does not change the status', () => {
    expect(errorAnswer(new UserError('App x does not exist')).status).toBe(400);
    expect(errorAnswer(new NotFoundError('deploy needs an admin key')).status).toBe(404);
  });

  test('the exit code SSH shows is the subclass’s own', () => {
    expect(new NotFoundError('App x does not exist', EXIT_APP_MISSING).exitCode).toBe(20);
    expect(new ConflictError('taken').exitCode).toBe(1);
    expect(new ConflictError('taken')).toBeInstanceOf(UserError);
  });

  test('Fastify’s 4xx errors keep their status; an engine that refuses connections is 503; the rest is 500 without details', () => {
    expect(errorAnswer(Object.assign(new Error('Body is too large'), { statusCode: 413 })).status).toBe(413);
    expect(errorAnswer(new TooManyRequestsError('too many streams')).status).toBe(429);
    const refused = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    expect(errorAnswer(refused)).toMatchObject({ status: 503, internal: true });
    expect(errorAnswer(new Error('secret detail'))).toEqual({
      status: 500,
      body: { error: 'Internal error' },
      internal: true,
    });
    expect(errorAnswer(Object.assign(new Error('x'), { statusCode: 502 })).status).toBe(500);
  });
});

describe('an internal failure’s log line names the request it concerns', () => {
  test('the route’s pattern (no token or query), the request id and the app', () => {
    const request = {
      id: 'req-7',
      method: 'POST',
      url: '/apps/shop/config?token=secret',
      routeOptions: { url: '/apps/:app/config' },
      params: { app: 'shop' },
    };
    expect(failedRequestFields(request)).toEqual({
      request: 'POST /apps/:app/config',
      requestId: 'req-7',
      app: 'shop',
    });
  });

  test('a request no route matched is named by its path without the query', () => {
    const request = { id: 'req-8', method: 'GET', url: '/nowhere?x=1', routeOptions: {}, params: {} };
    expect(failedRequestFields(request)).toEqual({ request: 'GET /nowhere', requestId: 'req-8' });
  });
});

describe('pagination', () => {
  const names = Array.from({ length: 7 }, (_, i) => `app-${i}`);
  const byName = { key: (name: string) => name, direction: 'asc' as const };
  const query = (given: Record<string, string>) => pageQuery.parse(given);

  test('pages follow one another by cursor, every item once, in order; the last has no cursor', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = paginate([...names].reverse(), byName, query({ limit: '3', ...(cursor ? { cursor } : {}) }));
      seen.push(...page.items);
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toEqual(names);
    expect(pages).toBe(3);
  });

  test('a list that fits in one page has no next cursor', () => {
    expect(paginate(names, byName, query({ limit: '7' }))).toEqual({ items: names, next_cursor: null });
  });

  test('newest first by number; an item added or removed between pages neither repeats nor skips another', () => {
    const versions = [5, 4, 3, 2, 1].map((version) => ({ version }));
    const order = { key: (r: { version: number }) => r.version, direction: 'desc' as const };
    const first = paginate(versions, order, query({ limit: '2' }));
    expect(first.items.map((r) => r.version)).toEqual([5, 4]);
    // v6 arrives and v3 goes before the next page is read.
    const changed = [{ version: 6 }, ...versions.filter((r) => r.version !== 3)];
    const second = paginate(changed, order, query({ limit: '2', cursor: first.next_cursor! }));
    expect(second.items.map((r) => r.version)).toEqual([2, 1]);
    expect(second.next_cursor).toBeNull();
  });

  test('limit is bounded and defaults; a cursor the API did not give is bad input', () => {
    expect(query({}).limit).toBe(50);
    expect(pageQuery.safeParse({ limit: '201' }).success).toBe(false);
    expect(pageQuery.safeParse({ limit: '0' }).success).toBe(false);
    expect(pageQuery.safeParse({ cursor: '../x' }).success).toBe(false);
    expect(() => paginate(names, byName, query({ cursor: 'bm90LWpzb24' }))).toThrow(UserError);
    expect(errorAnswer(catchError(() => paginate(names, byName, query({ cursor: 'e30' })))).status).toBe(400);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}
