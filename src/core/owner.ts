import fs from 'node:fs';
import os from 'node:os';

/** When a process started, in clock ticks since boot (/proc/<pid>/stat field 22); undefined when it is gone. */
export function startTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

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
