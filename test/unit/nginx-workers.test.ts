import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, expect, test, vi } from 'vitest';
import { childWorkers } from '../../src/proxy/nginx-workers.js';

// The nginx supervisor asks for the master's workers every second: what it finds, and that
// finding them reads the master's own children, not every process on the host.

let master: ChildProcess | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  if (master?.pid !== undefined) process.kill(-master.pid, 'SIGKILL');
});

/** A process named as nginx's master, with two children named as workers and one as its cache manager. */
async function fakeMaster(): Promise<number> {
  const script = `
    for my $name ("nginx: worker process", "nginx: worker process", "nginx: cache manager process") {
      if (!fork) { $0 = $name; sleep 60; exit }
    }
    $0 = "nginx: master process"; $| = 1; print "up\\n"; sleep 60`;
  master = spawn('perl', ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => master!.stdout!.once('data', resolve));
  const pid = master.pid!;
  // The children have named themselves once the kernel lists three of them under those names.
  for (let i = 0; i < 100; i++) {
    const names = fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(' ')
      .map((child) => fs.readFileSync(`/proc/${child}/cmdline`, 'utf8'));
    if (names.filter((name) => name.startsWith('nginx:')).length === 3) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return pid;
}

test('the master’s accepting workers are found, not its other children', async () => {
  const pid = await fakeMaster();
  const workers = childWorkers(pid);
  expect(workers).toHaveLength(2);
  for (const worker of workers) {
    expect(fs.readFileSync(`/proc/${worker.pid}/cmdline`, 'utf8')).toBe('nginx: worker process\0');
    expect(worker.ticks).toMatch(/^\d+$/);
  }
  expect(childWorkers(undefined)).toEqual([]);
});

test('finding them reads the master’s children only, not every process on the host', async () => {
  const pid = await fakeMaster();
  const read = vi.spyOn(fs, 'readFileSync');
  childWorkers(pid);
  const statsRead = read.mock.calls.filter(([file]) => /^\/proc\/\d+\/stat$/.test(String(file)));
  expect(statsRead.length).toBeLessThanOrEqual(3);
});
