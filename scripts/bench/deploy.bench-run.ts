import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { SlipwayUnderTest } from '../../test/support/slipway.js';

const WARM_PUSHES = Number(process.env.BENCH_PUSHES ?? 7);
const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

function setGreeting(dir: string, greeting: string): void {
  const file = path.join(dir, 'server.js');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/const GREETING = '.*';/, `const GREETING = '${greeting}';`));
}

/** Seconds from the start of `git push` until nginx answers with the new body. */
async function pushToLive(repo: string, expected: string): Promise<{ live: number; push: number }> {
  const started = performance.now();
  const pushing = slipway.push(repo).then((result) => {
    if (result.code !== 0) throw new Error(`push failed:\n${result.output}`);
    return (performance.now() - started) / 1000;
  });
  let live: number | undefined;
  while (live === undefined) {
    const response = await slipway.get(slipway.appHost('bench')).catch(() => undefined);
    if (response?.body.includes(expected)) live = (performance.now() - started) / 1000;
    else await new Promise((r) => setTimeout(r, 10));
  }
  return { live, push: await pushing };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const s = (n: number) => `${n.toFixed(2)} s`;

test('push-to-live for a small Dockerfile app', async () => {
  const repo = await slipway.appRepo('dockerfile-app', 'bench');
  // A unique layer right after FROM, so the cold push rebuilds every app layer.
  const dockerfile = path.join(repo, 'Dockerfile');
  const unique = randomBytes(4).toString('hex');
  fs.writeFileSync(dockerfile, fs.readFileSync(dockerfile, 'utf8').replace(/^(FROM .*)$/m, `$1\nENV BENCH_RUN=${unique}`));
  setGreeting(repo, `cold ${unique}`);
  await slipway.commit(repo, 'cold');
  const cold = await pushToLive(repo, `cold ${unique}`);

  const warm: { live: number; push: number }[] = [];
  for (let i = 1; i <= WARM_PUSHES; i++) {
    setGreeting(repo, `warm ${i} ${unique}`);
    await slipway.commit(repo, `warm ${i}`);
    warm.push(await pushToLive(repo, `warm ${i} ${unique}`));
  }
  const lives = warm.map((w) => w.live);
  const pushes = warm.map((w) => w.push);
  console.log(
    [
      '',
      'bench-deploy: Dockerfile app (test/fixtures/dockerfile-app), git push over OpenSSH to answer via nginx',
      `  cold push (new app, every app layer rebuilt): live after ${s(cold.live)}, git push returned after ${s(cold.push)}`,
      `  warm pushes, one file changed (n=${WARM_PUSHES}): median live after ${s(median(lives))} ` +
        `(min ${s(Math.min(...lives))}, max ${s(Math.max(...lives))}); median git push ${s(median(pushes))}`,
      `  each warm push: ${lives.map((l) => l.toFixed(2)).join(' ')}`,
      '',
    ].join('\n'),
  );
});
