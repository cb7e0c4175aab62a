import net from 'node:net';
import { sleep } from '../core/process.js';
import type { ContainerStatus } from './docker.js';

export interface CheckOptions {
  host: string;
  port: number;
  timeoutMs: number;
  settleMs: number;
  status: () => Promise<ContainerStatus>;
}

export type CheckOutcome = { ok: true } | { ok: false; reason: string };

/**
 * The default check: the process accepts connections on its port, then is still up (not
 * restarted) after a short settle time. A container that exits first fails at once.
 */
export async function defaultCheck(options: CheckOptions): Promise<CheckOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const down = describeDown(await options.status());
    if (down) return { ok: false, reason: down };
    if (await acceptsConnection(options.host, options.port)) break;
    if (Date.now() > deadline) {
      return { ok: false, reason: `nothing accepted connections on port ${options.port} within ${options.timeoutMs / 1000} s` };
    }
    await sleep(100);
  }
  if (options.settleMs > 0) await sleep(options.settleMs);
  const down = describeDown(await options.status());
  return down ? { ok: false, reason: down } : { ok: true };
}

function describeDown(status: ContainerStatus): string | undefined {
  if (status.restartCount > 0 || status.restarting) {
    return `the container exited with code ${status.exitCode} and was restarted`;
  }
  if (!status.running) return `the container exited with code ${status.exitCode}`;
  return undefined;
}

function acceptsConnection(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
