import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ownerIsGone, PROCESS_OWNER } from '../core/owner.js';
import { sleep } from '../core/process.js';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Keeps a held lock alive; one that vanished (Redis restarted empty) is taken again, one someone else took is not. */
const EXTEND = `local held = redis.call('get', KEYS[1])
if held == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not held then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const TTL_MS = 30_000;

/** Someone else held the lock for longer than the caller would wait. */
export class LockTimeout extends Error {}

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Host-wide mutual exclusion through Redis (SET NX PX + compare-and-delete), shared by the
 * daemon, extra workers and the local CLI. A held lock is kept alive until released, so a
 * long build never loses it; a crashed holder's lock expires after TTL_MS, or at once when
 * a daemon starts and finds its holder gone (the value names the holding process).
 */
export class Locks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async tryAcquire(name: string): Promise<HeldLock | undefined> {
    const key = this.key(name);
    const token = `${PROCESS_OWNER} ${randomUUID()}`;
    if ((await this.redis.set(key, token, 'PX', TTL_MS, 'NX')) !== 'OK') return undefined;
    const keepAlive = setInterval(() => {
      this.redis.eval(EXTEND, 1, key, token, TTL_MS).catch(() => {});
    }, TTL_MS / 3);
    keepAlive.unref();
    return {
      release: async () => {
        clearInterval(keepAlive);
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }

  async acquire(name: string, timeoutMs: number, onWait?: () => void): Promise<HeldLock> {
    const deadline = Date.now() + timeoutMs;
    let waited = false;
    for (;;) {
      const lock = await this.tryAcquire(name);
      if (lock) return lock;
      if (!waited) onWait?.();
      waited = true;
      if (Date.now() > deadline) throw new LockTimeout(`timed out waiting for lock ${name}`);
      await sleep(50);
    }
  }

  /** Whether some process holds the lock now. */
  async isHeld(name: string): Promise<boolean> {
    return (await this.redis.exists(this.key(name))) === 1;
  }

  /**
   * Releases the locks whose holders are dead processes of this host (a crashed daemon, a
   * killed CLI), so nobody waits out their TTL. Returns the names of the locks released.
   */
  async releaseOrphaned(): Promise<string[]> {
    const released: string[] = [];
    const pattern = `${this.prefix}:lock:*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      cursor = next;
      for (const key of keys) {
        const token = await this.redis.get(key);
        if (token === null || !ownerIsGone(token.split(' ')[0] ?? '')) continue;
        if (Number(await this.redis.eval(RELEASE, 1, key, token)) === 1) released.push(key.slice(pattern.length - 1));
      }
    } while (cursor !== '0');
    return released;
  }

  private key(name: string): string {
    return `${this.prefix}:lock:${name}`;
  }

  async withLock<T>(name: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    const lock = await this.acquire(name, timeoutMs);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }
}

export const appLockName = (app: string) => `app:${app}`;
/**
 * Held while a one-off of the app starts (until its container runs), and by a destroy, a
 * rename or a ps:stop of the app: no one-off starts while an app goes or stops.
 */
export const oneOffsLockName = (app: string) => `one-offs:${app}`;
