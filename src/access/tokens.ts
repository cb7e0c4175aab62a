import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError, UserError } from '../core/errors.js';
import type { State, TokenRecord, TokenScope } from '../state/index.js';
import type { Caller } from './index.js';

/**
 * HTTP API tokens. A token acts as the key that made it, with exactly that key's rights at
 * the time of each use (admin, or the apps acl:add granted it); it goes when the key goes.
 * Only a SHA-256 hash is kept: a token is 32 random bytes, so no slow hash is needed.
 */

/** The owner recorded for tokens made by root on the host: not a valid key name, so no key can be it. */
const HOST_ROOT = ':root';
const TOKEN = /^slw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const EXPIRY = /^([1-9][0-9]{0,4})([mhdw])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const MAX_EXPIRY_MS = 10 * 365 * 86_400_000;
/**
 * Live tokens one key (other than an admin's) may hold: each may hold dashboard sessions and
 * event streams of its own, so a key with unbounded tokens would hold unbounded daemon memory.
 */
export const MAX_TOKENS_PER_KEY = 20;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const ownerOf = (caller: Caller) => (caller.host ? HOST_ROOT : caller.name);

export const describeOwner = (keyName: string) => (keyName === HOST_ROOT ? 'root (host)' : keyName);

/** `30d`, `12h`, `90m`, `2w` -> milliseconds. */
export function parseExpiry(text: string): number {
  const match = EXPIRY.exec(text);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : NaN;
  if (!(ms <= MAX_EXPIRY_MS))
    throw new UserError(`Invalid --expires ${text}: a number and m, h, d or w (such as 30d), at most 10 years`);
  return ms;
}

/**
 * A token made with a token (from a dashboard session) is bound to the token that made it:
 * it expires no later, and revoking the maker revokes it (TokenStore.remove), so no token
 * outlives the one that made it, and a stolen token's children go with it. Returns the
 * maker's id and the latest expiry the new token may have (null: none), or nothing for a key.
 */
function bindingOf(state: State, caller: Caller): { parentId: string; expiresAt: number | null } | undefined {
  if (caller.tokenId === undefined) return undefined;
  const parent = state.tokens.byId(caller.tokenId);
  if (!parent) throw new ForbiddenError('The token this session uses was revoked');
  return { parentId: parent.id, expiresAt: parent.expiresAt };
}

const earliest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

/**
 * Makes a token for the caller; the token itself is returned once and never stored. A
 * scrape token (`scope: 'scrape'`) reads every app's metrics, so only an admin makes one.
 * Made with a token, it is bound to that token (see bindingOf).
 */
export function createToken(
  state: State,
  caller: Caller,
  name: string,
  options: { expires?: string; scope?: TokenScope } = {},
  now = Date.now(),
) {
  const { expires, scope = 'full' } = options;
  if (scope === 'scrape' && !caller.isAdmin)
    throw new ForbiddenError('tokens:create --scrape needs an admin key: a scrape token reads every app’s metrics');
  if (!TOKEN_NAME.test(name))
    throw new UserError('Token name may only contain letters, digits, dots, underscores, @ and hyphens (at most 64)');
  const asked = expires === undefined ? null : now + parseExpiry(expires);
  const binding = bindingOf(state, caller);
  const live = state.tokens.list(ownerOf(caller)).filter((t) => t.expiresAt === null || t.expiresAt > now);
  if (!caller.isAdmin && live.length >= MAX_TOKENS_PER_KEY) {
    throw new UserError(
      `${caller.name} has ${live.length} tokens, the most a key may hold: revoke one first (tokens:list shows them)`,
    );
  }
  const id = randomBytes(6).toString('hex');
  const token = `slw_${id}_${randomBytes(32).toString('base64url')}`;
  const record = {
    id,
    name,
    keyName: ownerOf(caller),
    hash: hashOf(token),
    createdAt: now,
    expiresAt: earliest(asked, binding?.expiresAt ?? null),
    scope,
    parentId: binding?.parentId ?? null,
  };
  if (!state.tokens.add(record))
    throw new ConflictError(`A token named ${name} exists already: revoke it first, or choose another name`);
  return { token, record };
}

/** The caller's own tokens; an admin's list has everyone's. */
export function listTokens(state: State, caller: Caller): TokenRecord[] {
  return caller.isAdmin ? state.tokens.list() : state.tokens.list(ownerOf(caller));
}

/**
 * Revokes one of the caller's tokens by name or id (an admin: anyone's, by id), and every
 * token bound to it.
 */
export function revokeToken(state: State, caller: Caller, nameOrId: string): TokenRecord {
  const found = listTokens(state, caller).filter(
    (t) => t.id === nameOrId || (t.name === nameOrId && t.keyName === ownerOf(caller)),
  );
  if (found.length !== 1) throw new NotFoundError(`No token ${nameOrId}`);
  state.tokens.remove(found[0]!.id);
  return found[0]!;
}

/**
 * Who a presented token acts as, or undefined for anything that is not a live token: bad
 * shape, unknown, wrong secret, expired, or its key gone.
 */
export function authenticateToken(state: State, presented: string, now = Date.now()): Caller | undefined {
  const match = TOKEN.exec(presented);
  if (!match) return undefined;
  const record = state.tokens.byId(match[1]!);
  if (!record || !timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hashOf(presented), 'hex')))
    return undefined;
  if (record.expiresAt !== null && record.expiresAt <= now) return undefined;
  const caller = callerOf(state, record.keyName);
  if (!caller) return undefined;
  state.tokens.touch(record.id, now);
  if (record.scope === 'scrape') return { name: caller.name, isAdmin: false, tokenId: record.id, scrapeOnly: true };
  return { ...caller, tokenId: record.id };
}

function callerOf(state: State, keyName: string): Caller | undefined {
  if (keyName === HOST_ROOT) return { name: 'root', isAdmin: true, host: true };
  const key = state.keys.byName(keyName);
  return key && { name: key.name, isAdmin: key.isAdmin };
}
