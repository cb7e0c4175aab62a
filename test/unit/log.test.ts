import { Writable } from 'node:stream';
import pino from 'pino';
import { expect, test } from 'vitest';
import { lineLog, logLevel, readable } from '../../src/core/log.js';

/** A Log writing JSON lines into an array, as the daemon's writes them to stderr. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: lineLog({}, pino({ level, base: undefined }, sink)) };
}

test('a line is one JSON object with its level, time, message and what it concerns; an error is one field', async () => {
  const { lines, log } = capture();
  log('missing web.1 of v3', { app: 'shop' });
  log('reconciling failed', { level: 'warn', app: 'shop', err: new Error('connect ECONNREFUSED\nsecond line') });
  await new Promise((resolve) => setImmediate(resolve));
  expect(lines[0]).toMatchObject({ level: 30, app: 'shop', msg: 'missing web.1 of v3' });
  expect(typeof lines[0]!.time).toBe('number');
  expect(lines[1]).toMatchObject({
    level: 40,
    app: 'shop',
    msg: 'reconciling failed',
    err: { type: 'Error', message: 'connect ECONNREFUSED\nsecond line' },
  });
});

test('lines under the level are not written', async () => {
  const { lines, log } = capture('warn');
  log('routine');
  log('trouble', { level: 'error' });
  await new Promise((resolve) => setImmediate(resolve));
  expect(lines.map((l) => l.msg)).toEqual(['trouble']);
});

test('in a terminal a line reads as time, level, what it concerns and message', () => {
  const json = JSON.stringify({
    level: 40,
    time: '2026-12-06T12:00:01.000Z',
    app: 'shop',
    msg: 'restart held back',
    err: { stack: 'Error: x\n    at y' },
  });
  expect(readable(json)).toBe('12:00:01 WARN  [app=shop] restart held back\n    Error: x\n        at y\n');
});

test('SLIPWAY_LOG_LEVEL takes the four levels and refuses anything else', () => {
  expect(logLevel(undefined)).toBe('info');
  expect(logLevel('debug')).toBe('debug');
  expect(() => logLevel('verbose')).toThrow('Invalid SLIPWAY_LOG_LEVEL verbose: use debug, info, warn, error');
});
