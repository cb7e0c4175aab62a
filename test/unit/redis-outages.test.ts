import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { logOutages } from '../../src/queue/redis.js';

test('a Redis outage is one warning however many reconnections fail, and its end one line', () => {
  const lines: [string, string | undefined][] = [];
  const client = new EventEmitter();
  logOutages(client as unknown as Redis, (line, fields) => lines.push([line, fields?.level]));
  for (let i = 0; i < 5; i++) client.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
  client.emit('ready');
  client.emit('ready');
  client.emit('error', new Error('read ECONNRESET'));
  expect(lines).toEqual([
    ['Redis connection lost; reconnecting', 'warn'],
    ['Redis connection back', undefined],
    ['Redis connection lost; reconnecting', 'warn'],
  ]);
});
