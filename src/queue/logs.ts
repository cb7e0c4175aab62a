import type { Redis } from 'ioredis';
import { z } from 'zod';
import { logOutages } from './redis.js';

const RETAIN_SECONDS = 24 * 3600;

export const deployResultSchema = z.object({ ok: z.boolean(), message: z.string().optional() });
export type DeployResult = z.infer<typeof deployResultSchema>;

/**
 * A deploy's live log: one Redis stream per deploy, so a reader that joins late still gets
 * every line from the start (pub/sub would lose them). The `result` entry tells the pusher
 * how the deploy ended; `end` closes the stream once clean-up work is done too.
 */
export class DeployLogs {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(deployId: string) {
    return `${this.prefix}:log:${deployId}`;
  }

  /** Lines go out in order on one connection without waiting for each round trip. */
  append(deployId: string, line: string): void {
    this.redis.xadd(this.key(deployId), 'MAXLEN', '~', '20000', '*', 'line', line).catch(() => {});
  }

  async result(deployId: string, result: DeployResult): Promise<void> {
    await this.redis.xadd(this.key(deployId), '*', 'result', JSON.stringify(result));
  }

  /** Every line written so far. */
  async lines(deployId: string): Promise<string[]> {
    const entries = (await this.redis.xrange(this.key(deployId), '-', '+')) as [string, string[]][];
    return entries.flatMap(([, fields]) => (fields[0] === 'line' ? [fields[1]!] : []));
  }

  async end(deployId: string): Promise<void> {
    await this.redis.xadd(this.key(deployId), '*', 'end', '1');
    await this.redis.expire(this.key(deployId), RETAIN_SECONDS);
  }

  /**
   * Follows a deploy's log until its result, on a dedicated connection (XREAD BLOCK holds it).
   * Resolves with the result, or undefined when `signal` aborts first.
   */
  async follow(
    deployId: string,
    onLine: (line: string) => void,
    signal: AbortSignal,
  ): Promise<DeployResult | undefined> {
    const reader = logOutages(this.redis.duplicate());
    const abort = () => reader.disconnect();
    signal.addEventListener('abort', abort, { once: true });
    try {
      let lastId = '0-0';
      while (!signal.aborted) {
        const batches = await reader.xread('BLOCK', 5000, 'STREAMS', this.key(deployId), lastId);
        for (const [, entries] of batches ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const [kind, value] = fields as [string, string];
            if (kind === 'line') onLine(value);
            else if (kind === 'result') return deployResultSchema.parse(JSON.parse(value));
            else if (kind === 'end') return { ok: false, message: 'deploy ended without a result' };
          }
        }
      }
      return undefined;
    } catch (error) {
      if (signal.aborted) return undefined;
      throw error;
    } finally {
      signal.removeEventListener('abort', abort);
      reader.disconnect();
    }
  }
}
