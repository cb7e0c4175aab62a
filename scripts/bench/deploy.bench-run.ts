import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { run, SlipwayUnderTest } from '../../test/support/slipway.js';

const WARM_PUSHES = Number(process.env.BENCH_PUSHES ?? 7);
const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

/** Rewrites the line of `file` that matches `pattern`, so each push changes exactly one file. */
function rewrite(dir: string, file: string, pattern: RegExp, line: string): void {
  const target = path.join(dir, file);
  fs.writeFileSync(target, fs.readFileSync(target, 'utf8').replace(pattern, line));
}

/** Seconds from the start of `git push` until nginx answers with the new body. */
async function pushToLive(app: string, repo: string, expected: string): Promise<{ live: number; push: number }> {
  const started = performance.now();
  const pushing = slipway.push(repo).then((result) => {
    if (result.code !== 0) throw new Error(`push failed:\n${result.output}`);
    return (performance.now() - started) / 1000;
  });
  let live: number | undefined;
  while (live === undefined) {
    const response = await slipway.get(slipway.appHost(app)).catch(() => undefined);
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

/**
 * A cold first push (a new app; every app layer or the dependency install redone), then
 * warm pushes that change one line of one file.
 */
async function measure(options: {
  label: string;
  fixture: string;
  app: string;
  makeCold: (repo: string, unique: string) => void;
  change: (repo: string, marker: string) => void;
}): Promise<string[]> {
  const repo = await slipway.appRepo(options.fixture, options.app);
  const unique = randomBytes(4).toString('hex');
  options.makeCold(repo, unique);
  options.change(repo, `cold ${unique}`);
  await run('git', ['add', '-A'], { cwd: repo });
  await slipway.commit(repo, 'cold');
  const cold = await pushToLive(options.app, repo, `cold ${unique}`);
  const warm: { live: number; push: number }[] = [];
  for (let i = 1; i <= WARM_PUSHES; i++) {
    options.change(repo, `warm ${i} ${unique}`);
    await slipway.commit(repo, `warm ${i}`);
    warm.push(await pushToLive(options.app, repo, `warm ${i} ${unique}`));
  }
  const lives = warm.map((w) => w.live);
  return [
    `bench-deploy: ${options.label}, git push over OpenSSH to answer via nginx`,
    `  cold push: live after ${s(cold.live)}, git push returned after ${s(cold.push)}`,
    `  warm pushes, one file changed (n=${WARM_PUSHES}): median live after ${s(median(lives))} ` +
      `(min ${s(Math.min(...lives))}, max ${s(Math.max(...lives))}); median git push ${s(median(warm.map((w) => w.push)))}`,
    `  each warm push: ${lives.map((l) => l.toFixed(2)).join(' ')}`,
  ];
}

test('push-to-live', async () => {
  const lines = [
    ...(await measure({
      label: 'Dockerfile app (test/fixtures/dockerfile-app)',
      fixture: 'dockerfile-app',
      app: 'bench',
      // a unique layer right after FROM, so the cold push rebuilds every app layer
      makeCold: (repo, unique) => rewrite(repo, 'Dockerfile', /^(FROM .*)$/m, `$1\nENV BENCH_RUN=${unique}`),
      change: (repo, marker) => rewrite(repo, 'server.js', /const GREETING = '.*';/, `const GREETING = '${marker}';`),
    })),
    ...(await measure({
      label: 'buildpack Node app with a dependency (test/fixtures/node-deps)',
      fixture: 'node-deps',
      app: 'benchnode',
      // a new app has an empty build cache: the dependency install runs
      makeCold: () => {},
      change: (repo, marker) => rewrite(repo, 'server.js', /const VERSION = .*;/, `const VERSION = '${marker}';`),
    })),
  ];
  console.log(['', ...lines, ''].join('\n'));
});
