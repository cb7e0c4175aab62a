import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from './index.js';
import { authenticateToken } from './tokens.js';
import type { State } from '../state/index.js';

export const SESSION_COOKIE = 'slipway_session';
const SESSION_MS = 12 * 3600 * 1000;
/** Sessions one token may hold; its next login ends its oldest, and no other token's. */
export const SESSIONS_PER_TOKEN = 10;

interface Session {
  /** The token logged in with, kept only in memory: each request checks it again, so revoking it ends the session. */
  token: string;
  csrf: string;
  expiresAt: number;
}

/**
 * Dashboard sessions: a random id in an HttpOnly, SameSite=Strict cookie, and a CSRF token
 * the pages send back in a header on every change. Held in memory: a daemon restart logs
 * everyone out, and nothing about them is ever written to disk. Bounded per token, so
 * memory is bounded by the live tokens (which only keys make) and one token logging in
 * over and over evicts only its own sessions.
 */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  /** Each token's session ids, oldest first. */
  private readonly byToken = new Map<string, string[]>();

  constructor(private readonly state: State) {}

  /** A session for a valid token, or undefined. */
  start(token: string): { id: string; csrf: string } | undefined {
    if (!authenticateToken(this.state, token)) return undefined;
    this.forgetExpired();
    const ids = this.byToken.get(token) ?? [];
    while (ids.length >= SESSIONS_PER_TOKEN) this.sessions.delete(ids.shift()!);
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.sessions.set(id, { token, csrf, expiresAt: Date.now() + SESSION_MS });
    this.byToken.set(token, [...ids, id]);
    return { id, csrf };
  }

  /** Who a session acts as, and its CSRF token; undefined once expired or its token is not valid any more. */
  resume(id: string | undefined): { caller: Caller; csrf: string } | undefined {
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (!session) return undefined;
    const caller = session.expiresAt > Date.now() ? authenticateToken(this.state, session.token) : undefined;
    if (!caller) {
      this.sessions.delete(id!);
      return undefined;
    }
    return { caller, csrf: session.csrf };
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }

  /** Drops expired sessions, and ended ones from their token's list (a revoked token's goes). */
  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
    for (const [token, ids] of this.byToken) {
      const live = ids.filter((id) => this.sessions.has(id));
      if (live.length > 0) this.byToken.set(token, live);
      else this.byToken.delete(token);
    }
  }
}

/**
 * Whether a browser sent a request from the dashboard's own pages: Sec-Fetch-Site says so
 * (`same-origin`, or `none` for what the user typed), or, where the browser sends none
 * (plain HTTP), Origin is the dashboard's own. `same-site` is not enough: apps answer on
 * names under the same domain. A request with neither header is refused.
 */
export function fromOwnPages(headers: IncomingHttpHeaders, ownOrigin: string): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  return headers.origin === ownOrigin;
}

/** Constant-time comparison of a CSRF token sent back with the session's. */
export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** One cookie from a Cookie header; nothing else about cookies is needed here. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
