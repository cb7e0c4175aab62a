import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { childrenOf, SlipwayUnderTest } from '../../test/support/slipway.js';

/**
 * Many apps on one host: what grows as they are added. The apps are the small Dockerfile app,
 * all from one repository (each app's first push reuses the engine's layer cache).
 */
const APPS = Number(process.env.BENCH_APPS ?? process.env.APPS ?? 100);
const CHECKPOINTS = [...new Set([10, 50, APPS].filter((n) => n <= APPS))];
const DOMAINS_PER_APP = Math.ceil(1000 / APPS);
/**
 * Loaded into the daemon (NODE_OPTIONS=--require): on SIGUSR2 it collects the garbage and writes
 * its memory figures to PROBE, so the bench reads the heap without the inspector.
 */
const PROBE = path.join(fs.mkdtempSync('/tmp/slipway-bench-'), 'memory.json');
const PROBE_SCRIPT = `${PROBE}.cjs`;
fs.writeFileSync(
  PROBE_SCRIPT,
  `const fs = require('node:fs'), v8 = require('node:v8'), vm = require('node:vm');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
process.on('SIGUSR2', () => {
  gc();
  fs.writeFileSync(${JSON.stringify(`${PROBE}.tmp`)}, JSON.stringify(process.memoryUsage()));
  fs.renameSync(${JSON.stringify(`${PROBE}.tmp`)}, ${JSON.stringify(PROBE)});
});
`,
);
const slipway = new SlipwayUnderTest(inject('redisUrl'), {
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${PROBE_SCRIPT}`,
});
let repo: string;
let pushes = 0;
/** The greeting of the repository's current commit. */
let current = '';

beforeAll(async () => {
  await slipway.start();
  repo = await slipway.appRepo('dockerfile-app', 'scale1');
});
afterAll(() => slipway.destroy());

const name = (n: number) => `scale${n}`;
const seconds = (from: number) => (performance.now() - from) / 1000;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function must(command: string[]): Promise<string> {
  const result = await slipway.ssh(command);
  if (result.code !== 0) throw new Error(`${command.join(' ')}: ${result.output}`);
  return result.stdout;
}

/** A new commit that changes the greeting, so a push builds one changed layer. */
async function change(): Promise<string> {
  const marker = `scale push ${++pushes}`;
  current = marker;
  const file = path.join(repo, 'server.js');
  fs.writeFileSync(
    file,
    fs.readFileSync(file, 'utf8').replace(/const GREETING = '.*';/, `const GREETING = '${marker}';`),
  );
  await slipway.commit(repo, marker);
  return marker;
}

/** Pushes the repository's current commit to the app and waits until nginx serves `marker`. */
async function pushLive(app: string, marker: string): Promise<number> {
  const started = performance.now();
  const pushed = await slipway.push(repo, { args: [slipway.remote(app), 'HEAD:main'] });
  if (pushed.code !== 0) throw new Error(`push to ${app} failed:\n${pushed.output}`);
  while (!(await slipway.get(slipway.appHost(app)).catch(() => ({ body: '' }))).body.includes(marker))
    await new Promise((r) => setTimeout(r, 5));
  return seconds(started);
}

/** Resident memory of a process (and its children, for nginx's workers). */
function rss(pid: number, withChildren = false): number {
  const pids = withChildren ? [pid, ...childrenOf(pid)] : [pid];
  return pids.reduce((sum, p) => {
    const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
    return sum + Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  }, 0);
}

/** CPU seconds a process has used (user and system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime: in clock ticks of 1/100 s
}

/** What the daemon's heap holds after a full collection, as its probe reports it. */
async function heapOf(pid: number): Promise<{ heapUsed: number; heapTotal: number }> {
  fs.rmSync(PROBE, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 200 && !fs.existsSync(PROBE); i++) await new Promise((r) => setTimeout(r, 50));
  return JSON.parse(fs.readFileSync(PROBE, 'utf8')) as { heapUsed: number; heapTotal: number };
}

interface Idle {
  start: number;
  startCpu: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

/**
 * The daemon restarted with the apps there are now, and left idle: the time from its spawn to
 * its ready line (SSH listening), its CPU time by then, its RSS after IDLE_SECONDS, and its heap.
 */
const IDLE_SECONDS = 10;
async function restartIdle(): Promise<Idle> {
  await slipway.stopDaemon();
  const started = performance.now();
  await slipway.startDaemon();
  const start = seconds(started);
  const pid = slipway.daemonPid!;
  const startCpu = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const memory = rss(pid);
  return { start, startCpu, rss: memory, ...(await heapOf(pid)) };
}

const idleLine = (apps: number, idle: Idle) =>
  `  daemon restarted with ${apps} app${apps === 1 ? '' : 's'}: ready (SSH listening) ${idle.start.toFixed(2)} s after spawn, ` +
  `${idle.startCpu.toFixed(2)} s of CPU; idle ${IDLE_SECONDS} s later: RSS ${mib(idle.rss)}, heap used ${mib(idle.heapUsed)} of ${mib(idle.heapTotal)}`;

async function timed(command: string[], runs = 7): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await must(command);
    times.push(seconds(started) * 1000);
  }
  return median(times);
}

/** Adds apps from..to, several pushes at a time (the queue runs SLIPWAY_DEPLOY_CONCURRENCY at once). */
async function addApps(from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n += 8) {
    const batch = Array.from({ length: Math.min(8, to - n + 1) }, (_, i) => n + i);
    await Promise.all(batch.map((m) => pushLive(name(m), current)));
  }
}

test('scale', async () => {
  // Each figure is printed as soon as it is known (a long run may be stopped before its end).
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  say(`bench-scale: ${APPS} apps (test/fixtures/dockerfile-app), ${DOMAINS_PER_APP} extra domains each at the end`);
  const firstPush = await pushLive(name(1), await change());
  const firstWarm = await pushLive(name(1), await change());
  say(
    `  app 1: first push live after ${firstPush.toFixed(2)} s; a warm push (one file changed) live after ${firstWarm.toFixed(2)} s`,
  );
  const idle = new Map<number, Idle>([[1, await restartIdle()]]);
  say(idleLine(1, idle.get(1)!));
  let apps = 1;
  for (const checkpoint of CHECKPOINTS) {
    await addApps(apps + 1, checkpoint);
    apps = checkpoint;
    const newest = await pushLive(name(apps), await change());
    const usage = JSON.parse(await must(['resource:usage', name(2), '--format', 'json'])) as { memory_bytes: number }[];
    const nginxPid = Number(fs.readFileSync(path.join(slipway.dir, 'data', 'nginx', 'nginx.pid'), 'utf8'));
    say(
      `  at ${apps} apps: daemon ${mib(rss(slipway.daemonPid!))}, nginx (master and workers) ${mib(rss(nginxPid, true))}, ` +
        `an idle app container ${mib(usage[0]?.memory_bytes ?? NaN)}; warm push of app ${apps} live after ${newest.toFixed(2)} s ` +
        `(${(newest / firstWarm).toFixed(2)}x app 1's, target <= 1.2); over SSH: apps:list ${(await timed(['apps:list'])).toFixed(0)} ms, ` +
        `report ${(await timed(['report', name(1)])).toFixed(0)} ms (medians of 7; target <= 150 ms)`,
    );
    idle.set(apps, await restartIdle());
    say(idleLine(apps, idle.get(apps)!));
  }
  const [first, last] = [idle.get(1)!, idle.get(apps)!];
  const perApp = (bytes: number) => `${(bytes / (apps - 1) / 1024).toFixed(0)} KiB`;
  say(
    `  idle daemon, per app added (from 1 to ${apps} apps): RSS ${perApp(last.rss - first.rss)}, heap used ${perApp(last.heapUsed - first.heapUsed)}`,
  );

  // Domains: DOMAINS_PER_APP on every app, then one more added and removed, timed.
  for (let n = 1; n <= apps; n++) {
    await must([
      'domains:add',
      name(n),
      ...Array.from({ length: DOMAINS_PER_APP }, (_, i) => `d${i}.${name(n)}.example.com`),
    ]);
  }
  const domainChanges: number[] = [];
  for (let i = 0; i < 5; i++) {
    for (const verb of ['domains:add', 'domains:remove']) {
      const started = performance.now();
      await must([verb, name(1), 'extra.example.com']);
      domainChanges.push(seconds(started) * 1000);
    }
  }
  say(
    `  a domain change with ${apps * (DOMAINS_PER_APP + 1)} domains across the apps (the shared map: no nginx -t, no reload), over SSH: median ${median(domainChanges).toFixed(0)} ms`,
  );

  // Ten apps pushed at once, each with one file changed, vs one such push.
  const single = await pushLive(name(1), await change());
  const marker = await change();
  const started = performance.now();
  await Promise.all(Array.from({ length: 10 }, (_, i) => pushLive(name(i + 1), marker)));
  const together = seconds(started);
  say(
    `  10 apps pushed at once: all live after ${together.toFixed(2)} s, one push ${single.toFixed(2)} s (${(together / single).toFixed(1)}x)`,
  );
  console.log(['', ...lines, ''].join('\n')); // together at the end
});
