import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { restartDockerd } from '../../test/support/dockerd.js';
import { childrenOf, killAll, SlipwayUnderTest } from '../../test/support/slipway.js';

/**
 * Faults injected into a real daemon while one client asks the app for a page every 20 ms
 * through nginx (each on a new connection, so a dead backend shows at once). Targets: a
 * container death costs under 3 s of failures, a daemon restart none.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const app = 'faulty';
const INTERVAL_MS = 20;
const SETTLE_MS = 4000; // the app must answer this long after the last failure to count as converged
const BOUND_MS = 120_000;

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

function ask(): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port: slipway.httpPort,
        path: '/',
        headers: { host: slipway.appHost(app) },
        agent: false,
        timeout: 2000,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode === 200));
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** Brings the fault about under sampling; returns failures, the span they covered, and the time to the first answer after the last one. */
async function measure(fault: () => Promise<void>) {
  const started = performance.now();
  let failed = 0;
  let firstFailure: number | undefined;
  let lastFailure: number | undefined;
  // eslint-disable-next-line prefer-const -- the sampler reads it before the fault is over and it is set
  let faultOver: number | undefined; // a fault may take a while (dockerd stops its containers first)
  const sampler = (async () => {
    while (performance.now() - started < BOUND_MS) {
      const at = performance.now();
      if (!(await ask())) {
        failed++;
        firstFailure ??= at;
        lastFailure = at;
      } else if (faultOver !== undefined && performance.now() - Math.max(lastFailure ?? 0, faultOver) > SETTLE_MS) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    }
  })();
  await fault();
  faultOver = performance.now();
  await sampler;
  const seconds = (ms: number | undefined) => (ms === undefined ? 0 : ms / 1000);
  return {
    failed,
    failingSeconds: firstFailure === undefined ? 0 : seconds(lastFailure! - firstFailure + INTERVAL_MS),
    convergedSeconds: lastFailure === undefined ? 0 : seconds(lastFailure + INTERVAL_MS - started),
  };
}

const masterPid = () => Number(fs.readFileSync(path.join(slipway.dir, 'data', 'nginx', 'nginx.pid'), 'utf8'));

test('faults: seconds of failed requests and seconds until converged', async () => {
  const pushed = await slipway.push(await slipway.appRepo('dockerfile-app', app));
  if (pushed.code !== 0) throw new Error(pushed.output);

  const faults: [string, () => Promise<void>][] = [
    [
      'web container killed',
      async () => {
        const [web] = await docker.listContainers({
          filters: { label: [`slipway.instance=${slipway.instance}`, `slipway.app=${app}`] },
        });
        await docker.getContainer(web!.Id).kill();
      },
    ],
    ['nginx master killed', async () => void process.kill(masterPid(), 'SIGKILL')],
    [
      'nginx master and workers killed',
      async () => {
        const master = masterPid();
        killAll([master, ...childrenOf(master)]);
      },
    ],
    [
      'daemon restarted',
      async () => {
        await slipway.stopDaemon();
        await slipway.startDaemon();
      },
    ],
    [
      'daemon killed (kill -9) and started',
      async () => {
        await slipway.killDaemon();
        await slipway.startDaemon();
      },
    ],
  ];
  const lines = [
    '',
    `bench-faults: one request every ${INTERVAL_MS} ms through nginx to ${app}, a new connection each`,
  ];
  for (const [name, fault] of faults) {
    const result = await measure(fault);
    lines.push(
      `  ${name.padEnd(36)} ${String(result.failed).padStart(4)} failed requests over ${result.failingSeconds.toFixed(2)} s; answering again ${result.convergedSeconds.toFixed(2)} s after the fault`,
    );
  }
  lines.push(await dockerdRestartWithApps());
  if (process.env.BENCH_LOG) console.log(slipway.log);
  console.log([...lines, ''].join('\n'));
});

/** Apps besides `faulty` running when dockerd restarts (BENCH_APPS in all). */
const APPS = Math.max(1, Number(process.env.BENCH_APPS ?? 3));

/**
 * dockerd restarted with several apps: every container stops with the engine and what Docker
 * brings back has new addresses. Each app is asked for its own name (`/env/WHO`) every 50 ms
 * from the moment the engine answers again, until it answers with it; an answer with another
 * app's name would be a misroute and is counted.
 */
async function dockerdRestartWithApps(): Promise<string> {
  const apps = [app, ...Array.from({ length: APPS - 1 }, (_, i) => `faulty${i + 2}`)];
  const who = (name: string) => slipway.get(slipway.appHost(name), '/env/WHO').catch(() => ({ status: 0, body: '' }));
  for (const name of apps) {
    if ((await who(name)).body === name) continue;
    if (name !== app) {
      const pushed = await slipway.push(await slipway.appRepo('dockerfile-app', name));
      if (pushed.code !== 0) throw new Error(pushed.output);
    }
    await slipway.ssh(['config:set', name, `WHO=${name}`]);
  }
  // The last app's containers are not restarted by Docker: Slipway brings them back itself.
  const unrestarted = apps.length > 1 ? apps.at(-1)! : undefined;
  if (unrestarted) await slipway.ssh(['ps:set', unrestarted, 'restart-policy', 'no']);
  if (unrestarted) await slipway.ssh(['ps:restart', unrestarted]);
  await restartDockerd();
  const engineBack = performance.now();
  let misrouted = 0;
  const answered = await Promise.all(
    apps.map(async (name) => {
      while (performance.now() - engineBack < BOUND_MS) {
        const answer = await who(name);
        if (answer.status === 200 && answer.body === name) return (performance.now() - engineBack) / 1000;
        if (answer.status === 200) misrouted++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return Infinity;
    }),
  );
  const each = apps
    .map((name, i) => `${name}${name === unrestarted ? ' (restart-policy no)' : ''} ${answered[i]!.toFixed(2)} s`)
    .join(', ');
  return `  dockerd restarted with ${apps.length} apps: every app answering its own page ${Math.max(...answered).toFixed(2)} s after the engine answered again (${each}); ${misrouted} answers from another app`;
}
