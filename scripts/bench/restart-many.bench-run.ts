import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { markSleeping } from '../../src/deploy/desired.js';
import { openState } from '../../src/state/index.js';
import { succeededRelease } from '../../test/support/fakes.js';
import { commitGreeting, pushUntilServed } from '../../test/support/pushes.js';
import { SlipwayUnderTest } from '../../test/support/slipway.js';

/**
 * A daemon restarted with many apps, cheaply: the apps are written into its database while it
 * is stopped (each deployed once and asleep, as most of bench-scale's thousand are), not
 * pushed. Prints, at each count of RESTART_APPS (default 200,1000), the time from spawn to
 * SSH listening and the daemon's CPU by then; BENCH_CPU_PROF=DIR has each daemon write a CPU
 * profile there when it stops. BENCH_PUSH=1 pushes one real app first and times its warm
 * pushes (one file changed, until the page shows it) with no other app and after the last count.
 */
const PUSH = process.env.BENCH_PUSH === '1';
const COUNTS = (process.env.RESTART_APPS ?? '200,1000').split(',').map(Number);
const PROFILES = process.env.BENCH_CPU_PROF;
/** How long after it says it serves the daemon is left to finish what it does in the background. */
const SETTLE_MS = Number(process.env.RESTART_SETTLE_MS ?? 20_000);

const redisUrl = inject('redisUrl');
/** Loaded into the daemon (NODE_OPTIONS=--require; --cpu-prof is not allowed there): profiles it until it exits. */
const PROFILER = `${PROFILES}/profiler.cjs`;
if (PROFILES)
  fs.writeFileSync(
    PROFILER,
    `const inspector = require('node:inspector'), fs = require('node:fs');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.on('exit', () => session.post('Profiler.stop', (error, result) => {
  if (!error) fs.writeFileSync(${JSON.stringify(PROFILES)} + '/daemon-' + process.pid + '.cpuprofile', JSON.stringify(result.profile));
}));
`,
  );
const slipway = new (class extends SlipwayUnderTest {
  override readonly instance = `hscale${Date.now().toString(36).slice(-5)}`;
})(redisUrl, PROFILES ? { NODE_OPTIONS: `--require ${PROFILER}` } : {});

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy(), 600_000);

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

let repo = '';
let pushes = 0;
/** A warm push of the real app, in seconds until its page shows the change: the median of 3. */
async function warmPushes(): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const marker = `warm push ${++pushes}`;
    await commitGreeting(slipway, repo, marker);
    times.push(await pushUntilServed(slipway, repo, 'pushed', marker));
  }
  return times.map((t) => t.toFixed(2)).join(', ');
}

test('restart with many apps', async () => {
  let made = 0;
  if (PUSH) {
    repo = await slipway.appRepo('dockerfile-app', 'pushed');
    const first = await slipway.push(repo);
    if (first.code !== 0) throw new Error(first.output);
    console.log(`restart-many: warm pushes with no other app: ${await warmPushes()} s`);
  }
  for (const count of COUNTS) {
    await slipway.stopDaemon();
    const state = openState(path.join(slipway.dir, 'data', 'slipway.db'));
    for (; made < count; made++) {
      const app = `many${made + 1}`;
      state.apps.create(app);
      succeededRelease(state, app);
      markSleeping(state, app, true);
    }
    state.close();
    // The first start routes the new apps; the second finds every route as it left it (bench-scale's restart).
    for (const start of ['new apps', 'again']) {
      if (start === 'again') await slipway.stopDaemon();
      const from = slipway.log.length;
      const spawned = performance.now();
      await slipway.startDaemon();
      const ready = (performance.now() - spawned) / 1000;
      const pid = slipway.daemonPid!;
      const readyCpu = cpuSeconds(pid);
      let restored: number | undefined;
      const deadline = performance.now() + SETTLE_MS;
      while (performance.now() < deadline) {
        if (restored === undefined && slipway.log.slice(from).includes('routes restored'))
          restored = (performance.now() - spawned) / 1000;
        await new Promise((r) => setTimeout(r, 50));
      }
      const settledCpu = cpuSeconds(pid);
      const backends = fs.readFileSync(path.join(slipway.dir, 'data', 'nginx', 'backends.txt'), 'utf8');
      console.log(
        `restart-many: ${count} apps (${start}): ready (SSH listening) ${ready.toFixed(2)} s after spawn, ${readyCpu.toFixed(2)} CPU-s; ` +
          `routes restored ${restored === undefined ? '(no line)' : `${restored.toFixed(2)} s`}; ` +
          `${(SETTLE_MS / 1000).toFixed(0)} s later ${settledCpu.toFixed(2)} CPU-s; backends file: ${backends.split('\n').length - 1} lines`,
      );
    }
  }
  if (PUSH) console.log(`restart-many: warm pushes with ${made} other apps: ${await warmPushes()} s`);
  await slipway.stopDaemon();
  if (PROFILES) console.log(`restart-many: profiles in ${PROFILES}: ${fs.readdirSync(PROFILES).join(', ')}`);
});
