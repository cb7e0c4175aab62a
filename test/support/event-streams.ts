import { expect } from 'vitest';
import type { AppEventStreams } from '../../src/api/events.js';
import type { DomainEvent } from '../../src/events/domain.js';
import type { Platform } from '../../src/platform.js';
import { FakeScheduler, fakeLogs, imagesAllHere, MemoryLocks, unitPlatform } from './fakes.js';
import { parseJson } from './json.js';
import { parseEvents } from './sse.js';

// The unit tests of the apps' event source and its streams (GET /events) share this: a
// platform with a fake scheduler, the callers, and a stream read as a browser would.

export const admin = { name: 'admin', isAdmin: true, tokenId: 'admin-token' };
export const tenant = { name: 'tenant', isAdmin: false, tokenId: 'tenant-token' };
export type Caller = typeof admin;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (up to about 2 s) for `check` to pass, and fails the test if it does not. */
export async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await sleep(5);
  expect(check()).toBe(true);
}

/** A unit platform whose apps run on `scheduler` (images all here, logs dropped, locks in memory). */
export function streamingPlatform(scheduler: FakeScheduler): { platform: Platform; dispose: () => void } {
  return unitPlatform({ engine: imagesAllHere, schedulers: [scheduler], logs: fakeLogs, locks: new MemoryLocks() });
}

/** The non-admin key `tenant`, granted `app`. */
export function grantTenant(platform: Platform, app: string): void {
  platform.state.keys.add({ name: 'tenant', fingerprint: 'SHA256:t', publicKey: 'ssh-ed25519 BBBB' }, { admin: false });
  platform.state.access.grant(app, tenant.name);
}

/** A caller's stream, collected as text: its events, the platform events among them (`told`), and a way to close it. */
export function openStream(streams: AppEventStreams, caller: Caller) {
  let text = '';
  const controller = new AbortController();
  const done = streams.serve(caller, () => (chunk) => void (text += chunk), controller.signal);
  const events = () => parseEvents(text);
  const told = () =>
    events()
      .filter((e) => e.event === 'event')
      .map((e) => parseJson<DomainEvent>(e.data));
  return { done, events, told, text: () => text, close: () => controller.abort() };
}
