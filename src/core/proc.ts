import fs from 'node:fs';

/** What /proc/<pid>/stat says of a process: its state letter, its parent, when it started (clock ticks since boot). */
export interface ProcStat {
  state: string;
  parent: number;
  startTicks: string;
}

/** The process's stat, or undefined when it is gone (or not ours to read). */
export function procStat(pid: number | string): ProcStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, parent: Number(fields[1]), startTicks: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Running, and not a zombie: a killed process nobody has reaped yet still answers kill(pid, 0). */
export function isRunning(pid: number): boolean {
  const state = procStat(pid)?.state;
  return state !== undefined && state !== 'Z';
}

/** Every pid on the host, as /proc lists them. */
export const allPids = (): number[] =>
  fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);

/** The signal (SIGKILL) to each process still there: one may end by itself meanwhile. */
export function killAll(pids: number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
