import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  authenticateToken,
  createToken,
  listTokens,
  MAX_TOKENS_PER_KEY,
  parseExpiry,
  revokeToken,
} from '../../src/access/tokens.js';
import { openState, type State } from '../../src/state/index.js';

/** API tokens against a real SQLite state: what a token may do follows its key. */
let dir: string;
let state: State;
function freshState(): State {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-tokens-'));
  state = openState(path.join(dir, 'state.db'));
  state.keys.add({ name: 'admin', fingerprint: 'SHA256:a', publicKey: 'ssh-ed25519 AAAA' }, { admin: true });
  state.keys.add({ name: 'tenant', fingerprint: 'SHA256:t', publicKey: 'ssh-ed25519 BBBB' }, { admin: false });
  return state;
}
afterEach(() => {
  state.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const admin = { name: 'admin', isAdmin: true };
const tenant = { name: 'tenant', isAdmin: false };
const root = { name: 'root', isAdmin: true, host: true as const };

describe('API tokens', () => {
  test('a token acts as its key, with that key’s rights, and only its hash is stored', () => {
    const state = freshState();
    const { token, record } = createToken(state, tenant, 'ci');
    expect(token).toMatch(/^slw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(state.tokens.list())).not.toContain(token.slice(-43));
    expect(authenticateToken(state, token)).toEqual({ ...tenant, tokenId: record.id });
    expect(state.tokens.byId(record.id)!.lastUsedAt).not.toBeNull();
    const host = createToken(state, root, 'host');
    expect(authenticateToken(state, host.token)).toEqual({ ...root, tokenId: host.record.id });
  });

  test.each([
    ['empty', ''],
    ['not a token', 'Bearer nonsense'],
    ['unknown id', `slw_000000000000_${'a'.repeat(43)}`],
  ])('%s is no one', (_label, presented) => {
    const state = freshState();
    createToken(state, admin, 'ci');
    expect(authenticateToken(state, presented)).toBeUndefined();
  });

  test('a wrong secret, an expired token, a revoked one and one whose key is gone are no one', () => {
    const state = freshState();
    const { token } = createToken(state, admin, 'ci');
    expect(authenticateToken(state, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();

    const now = Date.now();
    const expiring = createToken(state, admin, 'short', { expires: '1h' }, now).token;
    expect(authenticateToken(state, expiring, now + 59 * 60_000)).toMatchObject(admin);
    expect(authenticateToken(state, expiring, now + 60 * 60_000)).toBeUndefined();

    revokeToken(state, admin, 'ci');
    expect(authenticateToken(state, token)).toBeUndefined();

    const tenantToken = createToken(state, tenant, 'ci').token;
    state.keys.remove('tenant');
    expect(authenticateToken(state, tenantToken)).toBeUndefined();
    expect(listTokens(state, admin).map((t) => t.name)).toEqual(['short']);
  });

  test('a key sees and revokes only its own tokens; an admin sees all and revokes any by id', () => {
    const state = freshState();
    const mine = createToken(state, tenant, 'deploy').record;
    const theirs = createToken(state, admin, 'deploy').record;
    expect(listTokens(state, tenant).map((t) => t.id)).toEqual([mine.id]);
    expect(() => revokeToken(state, tenant, theirs.id)).toThrow(`No token ${theirs.id}`);
    expect(listTokens(state, admin)).toHaveLength(2);
    revokeToken(state, admin, mine.id);
    expect(listTokens(state, admin).map((t) => t.id)).toEqual([theirs.id]);
  });

  test.each([
    ['bad name', 'no spaces', undefined, 'Token name may only contain'],
    ['duplicate name', 'ci', undefined, 'A token named ci exists already'],
    ['bad expiry', 'x', '30 days', 'Invalid --expires 30 days'],
    ['zero expiry', 'x', '0d', 'Invalid --expires 0d'],
    ['too long', 'x', '99999w', 'at most 10 years'],
  ])('%s is refused and nothing is made', (_label, name, expires, message) => {
    const state = freshState();
    createToken(state, admin, 'ci');
    expect(() => createToken(state, admin, name, { expires })).toThrow(message);
    expect(listTokens(state, admin)).toHaveLength(1);
  });

  test('a token made with a token is bound to it: it expires no later, and goes when its maker (or the maker’s maker) is revoked', () => {
    const state = freshState();
    const now = Date.now();
    const made = createToken(state, admin, 'short', { expires: '5m' }, now);
    const byToken = authenticateToken(state, made.token, now)!;
    const child = createToken(state, byToken, 'child', {}, now);
    expect(child.record.expiresAt).toBe(made.record.expiresAt); // asked for none: its maker's
    expect(createToken(state, byToken, 'sooner', { expires: '1m' }, now).record.expiresAt).toBe(now + 60_000);
    expect(createToken(state, byToken, 'later', { expires: '30d' }, now).record.expiresAt).toBe(made.record.expiresAt);
    expect(authenticateToken(state, child.token, made.record.expiresAt!)).toBeUndefined();
    const grandchild = createToken(state, authenticateToken(state, child.token, now)!, 'grandchild', {}, now);
    expect(listTokens(state, admin).find((t) => t.name === 'grandchild')?.parentId).toBe(child.record.id);

    // A token may revoke its key's tokens, as the key may; the maker takes its whole line with it.
    revokeToken(state, authenticateToken(state, child.token, now)!, 'later');
    expect(listTokens(state, admin).map((t) => t.name)).not.toContain('later');
    revokeToken(state, admin, made.record.id);
    expect(authenticateToken(state, child.token, now)).toBeUndefined();
    expect(authenticateToken(state, grandchild.token, now)).toBeUndefined();
    expect(listTokens(state, admin)).toEqual([]);

    // Root's token (no expiry) makes tokens that last as long as they ask, still bound to it.
    const host = createToken(state, root, 'host');
    const fromHost = createToken(state, authenticateToken(state, host.token)!, 'ci', { expires: '2w' });
    expect(fromHost.record.parentId).toBe(host.record.id);
    expect(fromHost.record.expiresAt).toBe(fromHost.record.createdAt + 14 * 86_400_000);
  });

  test('a tenant’s token cannot make a scrape token, nor revoke another key’s', () => {
    const state = freshState();
    const theirs = authenticateToken(state, createToken(state, tenant, 'mine').token)!;
    const admins = createToken(state, admin, 'ci');
    expect(() => createToken(state, theirs, 'prom', { scope: 'scrape' })).toThrow('needs an admin key');
    expect(() => revokeToken(state, theirs, admins.record.id)).toThrow(`No token ${admins.record.id}`);
    expect(listTokens(state, admin)).toHaveLength(2);
  });

  test('a key other than an admin’s holds at most MAX_TOKENS_PER_KEY live tokens; expired ones do not count', () => {
    const state = freshState();
    const now = Date.now();
    createToken(state, tenant, 'old', { expires: '5m' }, now - 3_600_000);
    for (let i = 0; i < MAX_TOKENS_PER_KEY; i++) createToken(state, tenant, `t${i}`, {}, now);
    expect(() => createToken(state, tenant, 'one-more', {}, now)).toThrow(
      `has ${MAX_TOKENS_PER_KEY} tokens, the most a key may hold`,
    );
    revokeToken(state, tenant, 't0');
    expect(createToken(state, tenant, 'one-more', {}, now).record.name).toBe('one-more');
  });

  test('a scrape token is made by admins only, and acts as no key: never an admin, never any app', () => {
    const state = freshState();
    expect(() => createToken(state, tenant, 'prom', { scope: 'scrape' })).toThrow(
      'tokens:create --scrape needs an admin key',
    );
    const { token, record } = createToken(state, admin, 'prom', { scope: 'scrape' });
    expect(record.scope).toBe('scrape');
    expect(authenticateToken(state, token)).toEqual({
      name: admin.name,
      isAdmin: false,
      tokenId: record.id,
      scrapeOnly: true,
    });
    expect(listTokens(state, admin).map((t) => t.scope)).toEqual(['scrape']);
  });

  test('expiries are minutes, hours, days or weeks', () => {
    expect([parseExpiry('90m'), parseExpiry('12h'), parseExpiry('30d'), parseExpiry('2w')]).toEqual([
      90 * 60_000,
      12 * 3_600_000,
      30 * 86_400_000,
      14 * 86_400_000,
    ]);
  });
});
