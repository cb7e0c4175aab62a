import os from 'node:os';
import { procStat } from './proc.js';

const startTicks = (pid: number) => procStat(pid)?.startTicks;

/**
 * This process, as it names itself where it holds something (a lock, the daemon's seat):
 * host, pid and the pid's start time, so a pid reused after a crash is not mistaken for it.
 */
export const PROCESS_OWNER = `${os.hostname()}/${process.pid}/${startTicks(process.pid) ?? '0'}`;

/**
 * True only when the owner was a process of this host that is no longer running. An owner
 * on another host, or one that cannot be read, is taken to be alive: its hold expires by itself.
 */
export function ownerIsGone(owner: string): boolean {
  const [host, pid, ticks] = owner.split('/');
  if (host !== os.hostname() || !pid || !/^\d+$/.test(pid) || ticks === undefined) return false;
  return startTicks(Number(pid)) !== ticks;
}
