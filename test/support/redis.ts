import { spawn } from 'node:child_process';
import { freePort } from './ports.js';
import { eventually, run } from './slipway.js';

/**
 * A Redis of a test file's own (not the run's shared one), so a test can take it away and
 * bring it back: `stop` is a `SHUTDOWN NOSAVE`, as a crash loses what it held.
 */
export async function ownRedis(): Promise<{ url: string; start: () => Promise<void>; stop: () => Promise<unknown> }> {
  const port = await freePort();
  return {
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await eventually(
        () => run('redis-cli', ['-p', String(port), 'ping']),
        (r) => r.stdout.trim() === 'PONG',
        10_000,
      );
    },
    stop: () => run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']),
  };
}
