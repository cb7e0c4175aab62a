import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { DomainEvents, type DomainEvent } from '../../src/events/domain.js';
import { CRASH_LOOP_CRASHES, CRASH_LOOP_QUIET_MS, CRASH_LOOP_WINDOW_MS } from '../../src/events/crash-loops.js';

let events: DomainEvents;
let told: DomainEvent[];

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 11, 7, 10) });
  events = new DomainEvents();
  told = [];
  events.subscribe((event) => told.push(event));
});
afterEach(() => vi.useRealTimers());

/** What the reconciler and the deploy tell for one crash it puts right. */
function crashAndRestart(app = 'shop', process = 'web') {
  events.publish('app.crashed', { app, process, container: 'abc' });
  events.publish('app.restarted', { app, release: 3, missing: [`${process}.1`] });
  events.publish('deploy.succeeded', { app, deploy: 'd', kind: 'restart', by: 'slipway', rev: null, release: 3 });
  events.publish('app.recovered', { app, release: 3 });
}
const kinds = () => told.filter((e) => e.type.startsWith('app.')).map((e) => e.type);

test('one crash is told as it was: crashed, restarted, recovered', () => {
  crashAndRestart();
  expect(kinds()).toEqual(['app.crashed', 'app.restarted', 'app.recovered']);
});

test('dozens of crashes in a loop are told as one crash_loop with a count, then one recovery with the total', () => {
  for (let i = 0; i < 30; i++) {
    crashAndRestart();
    vi.advanceTimersByTime(20_000); // each restart lasts less than the quiet time
  }
  const threshold = CRASH_LOOP_CRASHES - 1;
  expect(kinds()).toEqual([
    ...Array.from({ length: threshold }, () => ['app.crashed', 'app.restarted', 'app.recovered']).flat(),
    'app.crash_loop',
  ]);
  expect(told.find((e) => e.type === 'app.crash_loop')).toMatchObject({
    app: 'shop',
    process: 'web',
    crashes: CRASH_LOOP_CRASHES,
    window_seconds: CRASH_LOOP_WINDOW_MS / 1000,
  });
  vi.advanceTimersByTime(CRASH_LOOP_QUIET_MS);
  expect(kinds().at(-1)).toBe('app.crash_loop_recovered');
  expect(told.at(-1)).toMatchObject({ app: 'shop', process: 'web', crashes: 30 });
  expect(kinds().filter((k) => k === 'app.crash_loop_recovered')).toHaveLength(1);
});

test('crashes further apart than the window are each told; another app’s crashes are its own', () => {
  for (let i = 0; i < 4; i++) {
    crashAndRestart();
    crashAndRestart('blog', 'worker');
    vi.advanceTimersByTime(CRASH_LOOP_WINDOW_MS / 2 + 1000);
  }
  expect(kinds().filter((k) => k === 'app.crashed')).toHaveLength(8);
  expect(kinds()).not.toContain('app.crash_loop');
});

test('a deploy that fixes a looping app ends the loop once it runs quietly; a crash before that keeps it going', () => {
  for (let i = 0; i < CRASH_LOOP_CRASHES; i++)
    events.publish('app.crashed', { app: 'shop', process: 'web', container: 'a' });
  const deployed = () =>
    events.publish('deploy.succeeded', { app: 'shop', deploy: 'd', kind: 'git', by: 'admin', rev: 'abc', release: 4 });
  deployed();
  vi.advanceTimersByTime(CRASH_LOOP_QUIET_MS / 2);
  events.publish('app.crashed', { app: 'shop', process: 'web', container: 'b' });
  vi.advanceTimersByTime(CRASH_LOOP_QUIET_MS);
  expect(kinds()).toEqual(['app.crashed', 'app.crashed', 'app.crash_loop']);
  deployed();
  vi.advanceTimersByTime(CRASH_LOOP_QUIET_MS);
  expect(told.at(-1)).toMatchObject({ type: 'app.crash_loop_recovered', crashes: CRASH_LOOP_CRASHES + 1 });
  expect(told.filter((e) => e.type === 'deploy.succeeded')).toHaveLength(2); // deploys are always told
});
