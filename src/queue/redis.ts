import type { Redis } from 'ioredis';
import { lineLog, type Log } from '../core/log.js';
import { lazyPackage } from '../core/lazy.js';

const ioredis = lazyPackage<typeof import('ioredis')>('ioredis');

export interface RedisConnectionOptions {
  host: string;
  port: number;
  password?: string;
  db: number;
  /** BullMQ requires null on its blocking connections. */
  maxRetriesPerRequest: number | null;
}

/** Connection options from a redis:// URL, in the shape both ioredis and BullMQ take. */
export function redisOptions(url: string): RedisConnectionOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    maxRetriesPerRequest: null,
  };
}

/**
 * The client for commands, locks and logs. While Redis is away a command fails after a few
 * reconnection attempts (well under a second) with a clear error, instead of waiting in
 * the offline queue for ever: commands and pushes say so, apps keep serving.
 */
export function connectRedis(url: string): Redis {
  const Client = ioredis().Redis;
  return logOutages(new Client({ ...redisOptions(url), maxRetriesPerRequest: 2 }));
}

/**
 * ioredis emits every failed reconnection as an 'error' event, and prints each one as an
 * "Unhandled error event" unless someone listens: one warning an outage instead, and a line
 * when the connection is back. Commands still fail with their own errors meanwhile.
 */
export function logOutages(client: Redis, log: Log = lineLog()): Redis {
  let down = false;
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    log('Redis connection lost; reconnecting', { level: 'warn', err: error });
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log('Redis connection back');
  });
  return client;
}
