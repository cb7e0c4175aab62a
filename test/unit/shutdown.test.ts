import { afterEach, expect, test, vi } from 'vitest';
import type { LogFields } from '../../src/core/log.js';
import { closeWithin, stopSignalHandler } from '../../src/core/shutdown.js';

const never = () => new Promise<void>(() => {}); // a Redis client waiting for a connection that never comes

function recorder() {
  const lines: { line: string; fields?: LogFields }[] = [];
  return { lines, log: (line: string, fields?: LogFields) => lines.push({ line, fields }) };
}

afterEach(() => {
  vi.useRealTimers();
});

test('steps that finish are run in order, and the shutdown is clean', async () => {
  const done: string[] = [];
  const { lines, log } = recorder();
  const clean = await closeWithin(
    1000,
    [
      ['closing a', async () => done.push('a')],
      ['closing b', () => done.push('b')],
    ],
    log,
  );
  expect(clean).toBe(true);
  expect(done).toEqual(['a', 'b']);
  expect(lines).toEqual([]);
});

test('a step that never ends is given up at the deadline, logged, and the steps after it still start', async () => {
  vi.useFakeTimers();
  const done: string[] = [];
  const { lines, log } = recorder();
  const closing = closeWithin(
    10_000,
    [
      ['closing the deploy worker', never],
      ['releasing the daemon seat', never],
      ['closing the database', () => done.push('database')],
    ],
    log,
  );
  await vi.runAllTimersAsync();
  expect(await closing).toBe(false);
  expect(done).toEqual(['database']);
  expect(lines.map((l) => l.line)).toEqual([
    'gave up closing the deploy worker: not done within 10 s',
    'gave up releasing the daemon seat: not done within 10 s',
  ]);
  expect(lines.every((l) => l.fields?.level === 'error')).toBe(true);
});

test('the limit is for all the steps together, not each', async () => {
  vi.useFakeTimers();
  const { log } = recorder();
  let settled = false;
  const closing = closeWithin(
    10_000,
    [
      ['a slow step', () => new Promise((resolve) => setTimeout(resolve, 6000))],
      ['another', () => new Promise((resolve) => setTimeout(resolve, 6000))],
    ],
    log,
  ).then((clean) => {
    settled = true;
    return clean;
  });
  await vi.advanceTimersByTimeAsync(9_999);
  expect(settled).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(await closing).toBe(false);
});

test('a step that fails is logged with its error, the rest still run, and the shutdown is not clean', async () => {
  const done: string[] = [];
  const { lines, log } = recorder();
  const clean = await closeWithin(
    1000,
    [
      [
        'releasing the daemon seat',
        () => Promise.reject(new Error('Reached the max retries per request limit (which is 2)')),
      ],
      ['closing b', () => done.push('b')],
    ],
    log,
  );
  expect(clean).toBe(false);
  expect(done).toEqual(['b']);
  expect(lines[0]?.line).toBe(
    'releasing the daemon seat failed: Reached the max retries per request limit (which is 2)',
  );
});

test('a step that throws at once is caught as one that fails later', async () => {
  const { lines, log } = recorder();
  const clean = await closeWithin(
    1000,
    [
      [
        'closing a',
        () => {
          throw new Error('closed already');
        },
      ],
    ],
    log,
  );
  expect(clean).toBe(false);
  expect(lines[0]?.line).toBe('closing a failed: closed already');
});

test('a stop signal stops, then exits; a second one while stopping exits at once', async () => {
  const { lines, log } = recorder();
  const exits: number[] = [];
  let finish = (_clean: boolean) => {};
  const handle = stopSignalHandler(
    () => new Promise<boolean>((resolve) => (finish = resolve)),
    log,
    (code) => {
      exits.push(code);
    },
  );
  handle('SIGINT');
  expect(exits).toEqual([]); // running deploys are finishing
  handle('SIGINT');
  expect(exits).toEqual([1]);
  expect(lines.map((l) => l.line)).toEqual([
    'SIGINT received, finishing running deploys',
    'SIGINT received again: exiting now, without waiting for what is still running',
  ]);
  finish(true);
  await new Promise((resolve) => setImmediate(resolve));
  expect(exits).toEqual([1, 0]); // (the process is gone by then)
});
