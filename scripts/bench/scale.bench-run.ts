import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, inject, test } from 'vitest';
import type { Report } from '../../test/support/json.js';
import { commitGreeting, pushUntilServed } from '../../test/support/pushes.js';
import { childrenOf, eventually, run, SlipwayUnderTest } from '../../test/support/slipway.js';

/**
 * Many apps on one host: what grows as they are added. The apps are the small Dockerfile app,
 * all from one repository (each app's first push reuses the engine's layer cache). The first
 * AWAKE apps stay up; every later one is deployed once and then sleeps (sleep-after SLEEP_AFTER),
 * as most of a thousand review and staging apps on one host would.
 */
const APPS = Number(process.env.BENCH_APPS ?? process.env.APPS ?? 100);
const AWAKE = Number(process.env.BENCH_AWAKE ?? 50);
const SLEEP_AFTER = '5s';
const CHECKPOINTS = [...new Set([10, 50, 200, 500, APPS].filter((n) => n <= APPS))];
/** Extra domains on each app, so that with each app's own there are about 1,000 in all. */
const EXTRA_DOMAINS_PER_APP = Math.max(0, Math.ceil(1000 / APPS) - 1);
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
const redisUrl = inject('redisUrl');
const slipway = new SlipwayUnderTest(redisUrl, {
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${PROBE_SCRIPT}`,
  SLIPWAY_SLEEP_CHECK_SECONDS: '1',
});
let repo: string;
let pushes = 0;
/** The greeting of the repository's current commit. */
let current = '';

/** Removing a thousand apps' images and networks takes minutes on a loaded machine. */
const CLEANUP_MS = Math.max(180_000, APPS * 1000);

beforeAll(async () => {
  // What scripts/bench-scale removes if this run is stopped before its own cleanup ends.
  if (process.env.BENCH_STATE) fs.writeFileSync(process.env.BENCH_STATE, `${slipway.instance} ${slipway.dir}\n`);
  await slipway.start();
  repo = await slipway.appRepo('dockerfile-app', 'scale1');
});
/** Everything the bench made: the instance (daemon, nginx, containers, images, networks, volumes, data dir) and its probe. */
const cleanUp = () =>
  slipway.destroy().finally(() => {
    fs.rmSync(path.dirname(PROBE), { recursive: true, force: true });
    if (process.env.BENCH_STATE) fs.writeFileSync(process.env.BENCH_STATE, ''); // nothing left for scripts/bench-scale
  });
afterAll(cleanUp, CLEANUP_MS);

// A long run is often stopped (Ctrl-C, a kill of its process group): this worker gets the
// signal too, and removes what the bench made before it exits, as afterAll would have. The
// daemon goes at once: the bench's Redis got the signal too, and a daemon's shutdown waits
// for its Redis.
// vitest's own process may be gone already, and with it the pipe this worker prints to: a
// write there fails (EPIPE), which must not end the worker before its cleanup.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(signal, () => {
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    void slipway
      .killDaemon()
      .then(cleanUp)
      .catch((error: unknown) => console.error(error))
      .finally(() => process.exit(130));
  });

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
  await commitGreeting(slipway, repo, marker);
  return marker;
}

/** Pushes the repository's current commit to the app and waits until nginx serves `marker`. */
const pushLive = (app: string, marker: string) =>
  pushUntilServed(slipway, repo, app, marker, [slipway.remote(app), 'HEAD:main']);

/** Redis's resident memory, as it reports it (the bench's own Redis: only this daemon uses it). */
async function redisRss(): Promise<number> {
  const info = await run('redis-cli', ['-u', redisUrl, 'info', 'memory']);
  return Number(/^used_memory_rss:(\d+)/m.exec(info.stdout)?.[1] ?? NaN);
}

const nginxPid = () => Number(fs.readFileSync(path.join(slipway.dir, 'data', 'nginx', 'nginx.pid'), 'utf8'));

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

/**
 * Adds apps from..to, several pushes at a time (the queue runs SLIPWAY_DEPLOY_CONCURRENCY at
 * once); those after the first AWAKE are told to sleep once idle. Returns the seconds it took.
 */
async function addApps(from: number, to: number): Promise<number> {
  const started = performance.now();
  for (let n = from; n <= to; n += 8) {
    const batch = Array.from({ length: Math.min(8, to - n + 1) }, (_, i) => n + i);
    await Promise.all(
      batch.map(async (m) => {
        await pushLive(name(m), current);
        if (m > AWAKE) await must(['ps:set', name(m), 'sleep-after', SLEEP_AFTER]);
      }),
    );
  }
  return seconds(started);
}

/** Every app's ps:report, as one `ps:report --format json` (all apps) gives it. */
const reports = async () => JSON.parse(await must(['ps:report', '--format', 'json'])) as Record<string, Report>;

/** Waits until every app told to sleep is asleep with no container left; the awake apps' names. */
async function settled(apps: number): Promise<string[]> {
  const all = await eventually(
    reports,
    (r) => Object.entries(r).every(([app, report]) => Number(app.slice(5)) <= AWAKE || report.processes === '0'),
    Math.max(120_000, apps * 1000),
  );
  return Object.keys(all).filter((app) => all[app]!.sleeping !== 'true');
}

/** The memory the awake apps' containers use, as `resource:usage` reads it (ten apps at a time). */
async function containersMemory(apps: string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < apps.length; i += 10) {
    const usages = await Promise.all(
      apps.slice(i, i + 10).map(async (app) => {
        const usage = JSON.parse(await must(['resource:usage', app, '--format', 'json'])) as {
          memory_bytes: number | null;
        }[];
        return usage.reduce((sum, u) => sum + (u.memory_bytes ?? 0), 0);
      }),
    );
    total += usages.reduce((a, b) => a + b, 0);
  }
  return total;
}

/** Seconds from a request to a sleeping app to its answer (nginx holds it while the app is woken). */
async function wake(app: string): Promise<number> {
  await eventually(
    () => slipway.sshJson<Report>(['ps:report', app, '--format', 'json']),
    (r) => r.sleeping === 'true' && r.processes === '0',
    120_000,
  );
  const started = performance.now();
  const answer = await slipway.get(slipway.appHost(app));
  if (answer.status !== 200) throw new Error(`${app} answered ${answer.status} when woken`);
  return seconds(started);
}

test(
  'scale',
  async () => {
    // Each figure is printed as soon as it is known (a long run may be stopped before its end).
    const lines: string[] = [];
    const say = (line: string) => {
      lines.push(line);
      console.log(line);
    };
    say(
      `bench-scale: ${APPS} apps (test/fixtures/dockerfile-app), apps ${AWAKE + 1} and later sleep after ${SLEEP_AFTER} idle; ` +
        `${EXTRA_DOMAINS_PER_APP} extra domains each at the end`,
    );
    const firstPush = await pushLive(name(1), await change());
    const firstWarm = await pushLive(name(1), await change());
    say(
      `  app 1: first push live after ${firstPush.toFixed(2)} s; a warm push (one file changed) live after ${firstWarm.toFixed(2)} s`,
    );
    const idle = new Map<number, Idle>([[1, await restartIdle()]]);
    say(idleLine(1, idle.get(1)!));
    let apps = 1;
    for (const checkpoint of CHECKPOINTS) {
      const added = await addApps(apps + 1, checkpoint);
      say(
        `  apps ${apps + 1} to ${checkpoint} pushed (and told to sleep) in ${added.toFixed(1)} s: ${(added / (checkpoint - apps)).toFixed(2)} s an app`,
      );
      apps = checkpoint;
      const newest = await pushLive(name(apps), await change());
      const awake = await settled(apps);
      const usage = JSON.parse(await must(['resource:usage', name(2), '--format', 'json'])) as {
        memory_bytes: number;
      }[];
      const [daemon, nginx, redis, containers] = [
        rss(slipway.daemonPid!),
        rss(nginxPid(), true),
        await redisRss(),
        await containersMemory(awake),
      ];
      say(
        `  at ${apps} apps (${apps - awake.length} asleep, ${awake.length} awake): daemon ${mib(daemon)}, nginx (master and workers) ${mib(nginx)}, ` +
          `Redis ${mib(redis)}, the awake apps' containers ${mib(containers)} (an idle one ${mib(usage[0]?.memory_bytes ?? NaN)}): ` +
          `${mib(daemon + nginx + redis + containers)} in all`,
      );
      say(
        `  at ${apps} apps: warm push of app ${apps} live after ${newest.toFixed(2)} s (${(newest / firstWarm).toFixed(2)}x app 1's, target <= 1.2); ` +
          `over SSH: apps:list ${(await timed(['apps:list'])).toFixed(0)} ms, report ${(await timed(['report', name(1)])).toFixed(0)} ms, ` +
          `ps:report ${(await timed(['ps:report', name(1)])).toFixed(0)} ms (medians of 7; target <= 150 ms), ` +
          `ps:report of every app ${(await timed(['ps:report'], 3)).toFixed(0)} ms (median of 3)`,
      );
      if (apps > AWAKE) {
        const wakes = [];
        for (const n of [AWAKE + 1, AWAKE + 2, AWAKE + 3].filter((m) => m < apps)) wakes.push(await wake(name(n)));
        if (wakes.length)
          say(
            `  at ${apps} apps: a sleeping app's first request answered after ${median(wakes).toFixed(2)} s (median of ${wakes.length} wakes)`,
          );
      }
      idle.set(apps, await restartIdle());
      say(idleLine(apps, idle.get(apps)!));
    }
    const [first, last] = [idle.get(1)!, idle.get(apps)!];
    const perApp = (bytes: number) => `${(bytes / (apps - 1) / 1024).toFixed(0)} KiB`;
    say(
      `  idle daemon, per app added (from 1 to ${apps} apps): RSS ${perApp(last.rss - first.rss)}, heap used ${perApp(last.heapUsed - first.heapUsed)}`,
    );

    // Domains: EXTRA_DOMAINS_PER_APP on every app, then one more added and removed, timed.
    for (let n = 1; n <= apps && EXTRA_DOMAINS_PER_APP > 0; n++) {
      await must([
        'domains:add',
        name(n),
        ...Array.from({ length: EXTRA_DOMAINS_PER_APP }, (_, i) => `d${i}.${name(n)}.example.com`),
      ]);
    }
    const domainChanges: number[] = [];
    const domainLive: number[] = [];
    const answers = async () => (await slipway.get('extra.example.com').catch(() => ({ status: 0 }))).status === 200;
    for (let i = 0; i < 5; i++) {
      for (const verb of ['domains:add', 'domains:remove']) {
        const started = performance.now();
        await must([verb, name(1), 'extra.example.com']);
        domainChanges.push(seconds(started) * 1000);
        // Live: the added domain answers with the app, the removed one no longer does.
        while ((await answers()) !== (verb === 'domains:add')) await new Promise((r) => setTimeout(r, 5));
        domainLive.push(seconds(started) * 1000);
      }
    }
    say(
      `  a domain change with ${apps * (EXTRA_DOMAINS_PER_APP + 1)} domains across the apps (the shared map: no nginx -t, no reload), over SSH: ` +
        `median ${median(domainChanges).toFixed(0)} ms, live (answered as changed) after ${median(domainLive).toFixed(0)} ms`,
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
  },
  Math.max(1_800_000, APPS * 30_000),
); // a loaded 2-core machine adds an app in a few seconds
