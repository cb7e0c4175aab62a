import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { freePort } from '../../test/support/ports.js';
import type { Report } from '../../test/support/json.js';
import { eventually, run, SlipwayUnderTest } from '../../test/support/slipway.js';

/** How many wakes (and as many plain `docker run`s, taken in turn with them) are measured. */
const ROUNDS = Number(process.env.BENCH_WAKES ?? 5);
const AT_ONCE = 50;
const slipway = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_SLEEP_CHECK_SECONDS: '0.2' });
const app = 'dozer';
let repo: string;

beforeAll(async () => {
  await slipway.start();
  // The Dockerfile Node app without its app.json checks: the floor below has none either.
  repo = await slipway.appRepo('dockerfile-app', app);
  fs.rmSync(path.join(repo, 'app.json'));
  await slipway.commit(repo, 'no app.json');
  const pushed = await slipway.push(repo);
  if (pushed.code !== 0) throw new Error(pushed.output);
  const set = await slipway.ssh(['ps:set', app, 'sleep-after', '1s']);
  if (set.code !== 0) throw new Error(set.output);
});
afterAll(() => slipway.destroy());

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const s = (n: number) => `${n.toFixed(2)} s`;

/** One GET on a connection of its own: its status, or 0 when the connection failed. */
function status(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      })
      .on('error', () => resolve(0));
  });
}

/** Seconds from `started` until a GET answers 200 (a refused connection is tried again at once). */
async function until200(started: number, port: number, host: string): Promise<number> {
  while ((await status(port, host)) !== 200) await new Promise((r) => setTimeout(r, 5));
  return (performance.now() - started) / 1000;
}

async function untilAsleep(): Promise<void> {
  const report = await eventually(
    () => slipway.sshJson<Report>(['ps:report', app, '--format', 'json']),
    (r) => r.sleeping === 'true' && r.processes === '0',
    120_000,
  );
  if (report.sleeping !== 'true') throw new Error(`${app} did not go to sleep: ${JSON.stringify(report)}`);
}

/** Seconds from a sleeping app's first request to its answer (200) through nginx. */
async function wake(): Promise<number> {
  await untilAsleep();
  const started = performance.now();
  const code = await status(slipway.httpPort, slipway.appHost(app));
  if (code !== 200) throw new Error(`the first request to the sleeping app got ${code}`);
  return (performance.now() - started) / 1000;
}

/** Seconds from `docker run` of the same app's image (published port, default bridge) to its first answer. */
async function dockerRun(image: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const result = await run('docker', ['run', '-d', '-e', 'PORT=5000', '-p', `127.0.0.1:${port}:5000`, image]);
  if (result.code !== 0) throw new Error(`docker run failed: ${result.output}`);
  const seconds = await until200(started, port, 'localhost');
  await run('docker', ['rm', '-f', result.stdout.trim()]);
  return seconds;
}

test('sleep and wake', async () => {
  const image = `slipway-bench-sleep-${randomBytes(3).toString('hex')}`;
  const built = await run('docker', ['build', '-q', '-t', image, '.'], { cwd: repo });
  if (built.code !== 0) throw new Error(`docker build failed: ${built.output}`);
  try {
    await dockerRun(image); // warm-up: the engine's first start of an image is slower
    const wakes: number[] = [];
    const floors: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      floors.push(await dockerRun(image));
      wakes.push(await wake());
    }
    await untilAsleep();
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: AT_ONCE }, () => status(slipway.httpPort, slipway.appHost(app))),
    );
    const allAnswered = (performance.now() - started) / 1000;
    const ok = statuses.filter((c) => c === 200).length;
    const others = statuses.filter((c) => c !== 200);
    const ratio = median(wakes) / median(floors);
    console.log(
      [
        '',
        `Sleeping Dockerfile Node app (test/fixtures/dockerfile-app, no checks), ${ROUNDS} rounds:`,
        `  first request to a sleeping app answered: median ${s(median(wakes))}; each: ${wakes.map((w) => w.toFixed(2)).join(' ')}`,
        `  plain docker run of the same image to first answer: median ${s(median(floors))}; each: ${floors.map((f) => f.toFixed(2)).join(' ')}`,
        `  wake / docker run: ${ratio.toFixed(2)}x (target 1.5x)`,
        `${AT_ONCE} requests at once on the sleeping app: ${ok} answered 200${others.length ? `, others: ${others.join(' ')}` : ''}; the last after ${s(allAnswered)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await run('docker', ['rmi', '-f', image]);
  }
});
