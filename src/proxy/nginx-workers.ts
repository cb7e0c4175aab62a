import fs from 'node:fs';
import { readIfExists } from '../core/files.js';
import { allPids, procStat } from '../core/proc.js';

// nginx's processes as /proc shows them: which workers a master has, and which were left
// behind by a master that died.

/** A process, told apart from a later one with the same pid by its start time. */
export interface ProcessRef {
  pid: number;
  ticks: string;
}

/**
 * The master's children that are accepting workers (not ones shutting down after a reload).
 * Asked every second by the supervisor: the kernel's list of the master's children is read
 * (a few small reads), not every process on the host, which cost most of an idle daemon's CPU.
 */
export function childWorkers(masterPid: number | undefined): ProcessRef[] {
  if (masterPid === undefined) return [];
  const candidates = kernelListsChildren() ? childPids(masterPid) : allPids();
  return nginxWorkers(candidates, (parent) => parent === masterPid);
}

/** Whether /proc lists each thread's children (kernels built with CONFIG_PROC_CHILDREN). */
let listsChildren: boolean | undefined;
const kernelListsChildren = () =>
  (listsChildren ??= fs.existsSync(`/proc/${process.pid}/task/${process.pid}/children`));

/** The process's children as the kernel lists them (its main thread's: nginx forks its workers from there); none once it is gone. */
function childPids(pid: number): number[] {
  const text = readIfExists(`/proc/${pid}/task/${pid}/children`) ?? '';
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/**
 * nginx workers whose master is gone (their parent is now init) and that still listen on
 * these ports: they would keep a new master from binding them, and route to stale backends.
 */
export function orphanedWorkersOn(ports: number[]): number[] {
  const inodes = listeningInodes(ports);
  if (inodes.size === 0) return [];
  return nginxWorkers(allPids())
    .filter(({ parent }) => !cmdline(parent).startsWith('nginx: master process'))
    .flatMap(({ pid }) => {
      try {
        const sockets = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        return sockets.some((target) => inodes.has(target.replace(/^socket:\[(\d+)\]$/, '$1'))) ? [pid] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return ''; // gone, or not ours to read
  }
}

/**
 * Accepting nginx workers among these pids whose parent passes `parentWanted`, with their parent.
 * The parent is read first (one small read per process), the command line only for those.
 */
function nginxWorkers(
  pids: number[],
  parentWanted: (parent: number) => boolean = () => true,
): (ProcessRef & { parent: number })[] {
  return pids.flatMap((pid) => {
    const stat = procStat(pid);
    if (!stat || !parentWanted(stat.parent) || cmdline(pid) !== 'nginx: worker process') return [];
    return [{ pid, parent: stat.parent, ticks: stat.startTicks }];
  });
}

/** Socket inodes listening on these TCP ports (IPv4 and IPv6), from /proc/net. */
function listeningInodes(ports: number[]): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (readIfExists(table) ?? '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const port = parseInt(fields[1]?.split(':')[1] ?? '', 16);
      if (fields[3] === '0A' && ports.includes(port)) inodes.add(fields[9]!); // 0A: LISTEN: a whole line, with its inode
    }
  }
  return inodes;
}
