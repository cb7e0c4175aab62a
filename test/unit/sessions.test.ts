import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { fromOwnPages, Sessions, SESSIONS_PER_TOKEN } from '../../src/access/sessions.js';
import { createToken } from '../../src/access/tokens.js';
import { openState, type State } from '../../src/state/index.js';

/** Dashboard sessions against a real SQLite state of keys and tokens. */
let dir: string;
let state: State;
afterEach(() => {
  state.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function withTokens() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-sessions-'));
  state = openState(path.join(dir, 'state.db'));
  state.keys.add({ name: 'admin', fingerprint: 'SHA256:a', publicKey: 'ssh-ed25519 AAAA' }, { admin: true });
  state.keys.add({ name: 'tenant', fingerprint: 'SHA256:t', publicKey: 'ssh-ed25519 BBBB' }, { admin: false });
  return {
    admin: createToken(state, { name: 'admin', isAdmin: true }, 'browser', undefined).token,
    tenant: createToken(state, { name: 'tenant', isAdmin: false }, 'browser', undefined).token,
  };
}

describe('dashboard sessions', () => {
  test('a token that logs in over and over ends only its own oldest sessions, never another token’s', () => {
    const tokens = withTokens();
    const sessions = new Sessions(state);
    const adminSession = sessions.start(tokens.admin)!;
    const tenantSessions = Array.from({ length: 10_000 }, () => sessions.start(tokens.tenant)!.id);
    expect(sessions.resume(adminSession.id)?.caller.name).toBe('admin');
    const kept = tenantSessions.filter((id) => sessions.resume(id) !== undefined);
    expect(kept).toEqual(tenantSessions.slice(-SESSIONS_PER_TOKEN));
  });

  test('a bad token gets no session; ending one leaves the token’s others', () => {
    const tokens = withTokens();
    const sessions = new Sessions(state);
    expect(sessions.start(`${tokens.admin.slice(0, -1)}x`)).toBeUndefined();
    const [first, second] = [sessions.start(tokens.admin)!, sessions.start(tokens.admin)!];
    sessions.end(first.id);
    expect(sessions.resume(first.id)).toBeUndefined();
    expect(sessions.resume(second.id)?.csrf).toBe(second.csrf);
  });
});

describe('a dashboard change or login comes from the dashboard’s own pages', () => {
  const own = 'http://slipway.example.com:8080';
  test.each([
    [{ 'sec-fetch-site': 'same-origin' }, true],
    [{ 'sec-fetch-site': 'none' }, true],
    [{ origin: own }, true],
    [{ 'sec-fetch-site': 'cross-site', origin: own }, false],
    [{ 'sec-fetch-site': 'same-site' }, false],
    [{ origin: 'http://evil.example.com' }, false],
    [{ origin: 'http://slipway.example.com' }, false],
    [{ origin: 'null' }, false],
    [{}, false],
  ])('%j: %s', (headers, allowed) => {
    expect(fromOwnPages(headers, own)).toBe(allowed);
  });
});
