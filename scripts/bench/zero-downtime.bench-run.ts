import http from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { asManagerOf, makeSwarm, removeRegistry, TestCluster } from '../../test/support/cluster.js';
import { commitGreeting } from '../../test/support/pushes.js';
import { SlipwayUnderTest } from '../../test/support/slipway.js';

/**
 * Steady HTTP load through nginx (loopback only, bounded in time) while the app is redeployed
 * again and again by pushes, config:set and ps:restart. Any failed request is a dropped one.
 */
const REDEPLOYS = Number(process.env.BENCH_REDEPLOYS ?? 12);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const STEADY_SECONDS = 10;
/** `swarm`: the app runs web=3 on a swarm of three engines (scripts/test-cluster), through the registry. */
const SCHEDULER = process.env.BENCH_SCHEDULER ?? 'docker-local';
const settings: NodeJS.ProcessEnv = {};
const slipway = new SlipwayUnderTest(inject('redisUrl'), settings);
const cluster = new TestCluster();
/** With `swarm`, a second Slipway on this host's engine, for push-to-live side by side (made then only: it makes a data dir). */
let onOneHost: SlipwayUnderTest;
const app = 'zdt';

beforeAll(async () => {
  if (SCHEDULER !== 'swarm') return slipway.start();
  await cluster.up(3);
  await asManagerOf(cluster, settings);
  await slipway.start();
  await makeSwarm(cluster, (command) => slipway.ssh(command));
  onOneHost = new SlipwayUnderTest(inject('redisUrl'), {});
  await onOneHost.start();
  await runAll(slipway, [
    ['scheduler:set', '--global', 'selected', 'swarm'],
    ['apps:create', app],
    ['ps:scale', app, 'web=3'],
  ]);
}, 600_000);
afterAll(async () => {
  if (SCHEDULER === 'swarm') removeRegistry(path.join(slipway.dir, 'data'), settings);
  await slipway.destroy();
  if (SCHEDULER === 'swarm') await Promise.all([cluster.down(), onOneHost.destroy()]);
}, 120_000);

async function runAll(on: SlipwayUnderTest, commands: string[][]): Promise<void> {
  for (const command of commands) {
    const done = await on.ssh(command);
    if (done.code !== 0) throw new Error(done.output);
  }
}

type LoadResult = autocannon.Result & { errorsSeen: Record<string, number> };

function load(seconds: number | undefined): { instance: autocannon.Instance; done: Promise<LoadResult> } {
  const errorsSeen: Record<string, number> = {};
  let instance!: autocannon.Instance;
  const done = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: `http://127.0.0.1:${slipway.httpPort}/`,
        headers: { host: slipway.appHost(app) },
        connections: CONNECTIONS,
        duration: seconds ?? 600, // the swap phase is stopped by hand; 600 s is its hard bound
        timeout: 10,
      },
      (error, result) => (error ? reject(error) : resolve({ ...result, errorsSeen })),
    );
    instance.on('reqError', (error: NodeJS.ErrnoException) => {
      const key = error.code ?? error.message;
      errorsSeen[key] = (errorsSeen[key] ?? 0) + 1;
    });
  });
  return { instance, done };
}

/** Commits a new greeting and pushes it: seconds until nginx serves it. */
async function pushChange(repo: string, greeting: string, on = slipway): Promise<number> {
  await commitGreeting(on, repo, greeting);
  const started = performance.now();
  const live = waitForBody('/', greeting, started, on);
  const pushed = await on.push(repo);
  if (pushed.code !== 0) throw new Error(pushed.output);
  return live;
}

/**
 * On a swarm, the same change pushed (without load) to the swarm app and to the same app on a
 * second Slipway that runs it on this host's engine, turn about: what the cluster costs a push.
 * (The swarm's Slipway uses node 1's engine, inside its network namespace, so its own
 * docker-local containers are not reachable from here.)
 */
async function swarmVersusLocal(swarmRepo: string): Promise<string[]> {
  await runAll(onOneHost, [
    ['apps:create', app],
    ['ps:scale', app, 'web=3'],
  ]);
  const localRepo = await onOneHost.appRepo('dockerfile-app', app);
  const first = await onOneHost.push(localRepo);
  if (first.code !== 0) throw new Error(first.output);
  const swarm: number[] = [];
  const docker: number[] = [];
  for (let i = 1; i <= 3; i++) {
    swarm.push(await pushChange(swarmRepo, `compare ${i}`));
    docker.push(await pushChange(localRepo, `compare ${i}`, onOneHost));
  }
  const figures = (values: number[]) =>
    `median ${median(values).toFixed(2)} s (${values.map((v) => v.toFixed(2)).join(' ')})`;
  return [
    `  push to live without load, same change, in turn: swarm web=3 ${figures(swarm)}; docker-local web=3 ${figures(docker)}; ` +
      `ratio ${(median(swarm) / median(docker)).toFixed(1)}x`,
  ];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** The median in seconds, as printed; `-` with none (fewer than 3 redeploys have no push). */
const medianText = (values: number[]) => (values.length === 0 ? '-' : median(values).toFixed(2));

/** Seconds from `started` until `urlPath` of `of` answers a body that begins with `expected`. */
async function waitForBody(urlPath: string, expected: string, started: number, on = slipway): Promise<number> {
  for (;;) {
    if (performance.now() - started > 120_000) throw new Error(`${urlPath} did not answer ${expected} within 120 s`);
    const response = await on.get(on.appHost(app), urlPath).catch(() => undefined);
    if (response?.body.startsWith(expected)) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('requests during repeated zero-downtime redeploys', async () => {
  const repo = await slipway.appRepo('dockerfile-app', app);
  const first = await slipway.push(repo);
  if (first.code !== 0) throw new Error(first.output);

  const steady = await load(STEADY_SECONDS).done;

  const swapping = load(undefined);
  const configToLive: number[] = [];
  const pushToLive: number[] = [];
  const kinds: string[] = [];
  for (let i = 1; i <= REDEPLOYS; i++) {
    const kind = ['push', 'config:set', 'ps:restart'][i % 3]!;
    kinds.push(kind);
    if (kind === 'push') {
      pushToLive.push(await pushChange(repo, `push ${i}`));
    } else if (kind === 'config:set') {
      // Live is when the new value is served, which may come before the command returns
      // (it then watches the new containers for a while).
      const started = performance.now();
      const live = waitForBody('/env/BENCH_VALUE', `value-${i}`, started);
      const set = await slipway.ssh(['config:set', app, `BENCH_VALUE=value-${i}`]);
      if (set.code !== 0) throw new Error(set.output);
      configToLive.push(await live);
    } else {
      const restarted = await slipway.ssh(['ps:restart', app]);
      if (restarted.code !== 0) throw new Error(restarted.output);
    }
  }
  // let the last old containers drain and retire under load too
  await new Promise((r) => setTimeout(r, 4000));
  swapping.instance.stop();
  const during = await swapping.done;

  const failed = (r: LoadResult) => r.non2xx + r.errors + r.timeouts;
  const line = (label: string, r: LoadResult) =>
    `  ${label}: ${r.requests.total} requests in ${r.duration.toFixed(1)} s, ${r.non2xx} non-2xx, ${r.errors} socket errors ` +
    `(${JSON.stringify(r.errorsSeen)}), ${r.timeouts} timeouts; latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`;
  console.log(
    [
      '',
      `bench-zero-downtime: ${CONNECTIONS} keep-alive connections through nginx to ${app} (scheduler ${SCHEDULER}${SCHEDULER === 'swarm' ? ', web=3 on 3 nodes' : ''})`,
      line('steady      ', steady),
      line(`${REDEPLOYS} redeploys`, during),
      `  redeploys: ${kinds.join(', ')}`,
      `  failed requests during redeploys: ${failed(during)} of ${during.requests.total}`,
      `  push to live (new code served): median ${medianText(pushToLive)} s over ${pushToLive.length} (${pushToLive.map((s) => s.toFixed(2)).join(' ')})`,
      `  config:set to live (new value served): median ${medianText(configToLive)} s over ${configToLive.length} (${configToLive.map((s) => s.toFixed(2)).join(' ')})`,
      ...(SCHEDULER === 'swarm' ? await swarmVersusLocal(repo) : []),
      '',
    ].join('\n'),
  );
});

/**
 * On a swarm, the app under steady keep-alive requests while node 3 drops off the network
 * (its link cut, as a host that loses power): the failed requests and, above all, the slowest
 * one. Last, as the node stays lost.
 */
test.runIf(SCHEDULER === 'swarm')(
  'requests while a node is lost',
  async () => {
    const LOAD_SECONDS = 30;
    const CUT_AFTER_MS = 5000;
    const REQUEST_TIMEOUT_MS = 90_000; // past nginx's 60 s read timeout, so a request held that long shows as such
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const get = () =>
      new Promise<number>((resolve) => {
        const request = http.get(
          {
            host: '127.0.0.1',
            port: slipway.httpPort,
            path: '/',
            headers: { host: slipway.appHost(app) },
            agent,
            timeout: REQUEST_TIMEOUT_MS,
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('timeout', () => request.destroy());
        request.on('error', () => resolve(0));
      });
    const latencies: number[] = [];
    let failed = 0;
    const started = performance.now();
    const cut = new Promise((resolve) => setTimeout(resolve, CUT_AFTER_MS)).then(() => cluster.cut(cluster.nodes[2]!));
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() - started < LOAD_SECONDS * 1000) {
          const asked = performance.now();
          const status = await get();
          latencies.push(performance.now() - asked);
          if (status !== 200) failed++;
        }
      }),
    );
    await cut;
    agent.destroy();
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    console.log(
      [
        '',
        `bench-zero-downtime: node 3 of 3 cut off ${CUT_AFTER_MS / 1000} s into ${LOAD_SECONDS} s of ${CONNECTIONS} keep-alive clients through nginx to ${app} (web=3, one task per node)`,
        `  ${latencies.length} requests, ${failed} failed; latency p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, ` +
          `slowest ${(sorted.at(-1)! / 1000).toFixed(2)} s; ${sorted.filter((ms) => ms > 1000).length} took over 1 s`,
        '',
      ].join('\n'),
    );
  },
  300_000,
);
