import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, inject, test } from 'vitest';
import { freePort } from '../../test/support/ports.js';
import { setGreeting } from '../../test/support/pushes.js';
import { run, SlipwayUnderTest, type RunResult } from '../../test/support/slipway.js';

const WARM_PUSHES = Number(process.env.BENCH_PUSHES ?? 7);
/**
 * Between one change and the next, as between a user's edits: the last deploy's work after
 * its push returned (old containers stopped, the next build's container started) is not
 * counted in the next change's time.
 */
const PAUSE_MS = Number(process.env.BENCH_PAUSE_MS ?? 5000);
// No Maven repository on the internet is reached here: Java builds use Debian's (in the Java build image).
const slipway = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_MAVEN_MIRROR: 'file:///usr/share/maven-repo' });

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

/** Rewrites the line of `file` that matches `pattern`, so each push changes exactly one file. */
function rewrite(dir: string, file: string, pattern: RegExp, line: string): void {
  const target = path.join(dir, file);
  fs.writeFileSync(target, fs.readFileSync(target, 'utf8').replace(pattern, line));
}

/** Polls until `answer()` contains `expected`; the seconds since `started`. */
async function untilAnswer(started: number, answer: () => Promise<string>, expected: string): Promise<number> {
  for (;;) {
    if ((await answer().catch(() => '')).includes(expected)) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Push {
  live: number;
  push: number;
  /** Seconds spent in each phase, from the deploy's recorded timings. */
  phases: Record<string, number>;
}

/**
 * Where a change's time went: before the hook (ssh, pack transfer, hook start) or before the
 * daemon had the command, the hook's archive and hand-over, queue wait, build (a buildpack's
 * compile and slug image), container start, checks, routing, and from routing to the first
 * new answer seen through nginx. Phases a change does not have (config:set builds nothing)
 * are left out.
 */
function phasesOf(changeStartedAt: number, liveAt: number, t: Record<string, number>): Record<string, number> {
  const between = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined ? NaN : (to - from) / 1000;
  const built: Record<string, number> =
    t.compiled === undefined
      ? { build: between(t.started, t.built) }
      : { compile: between(t.started, t.compiled), slug: between(t.compiled, t.built) };
  const phases = {
    receive: between(changeStartedAt, t.hook ?? t.received),
    archive: between(t.hook, t.received),
    queue: between(t.received, t.started),
    ...built,
    start: between(t.built ?? t.started, t.running),
    checks: between(t.running, t.checked),
    route: between(t.checked, t.routed),
    answer: between(t.routed, liveAt),
  };
  return Object.fromEntries(Object.entries(phases).filter(([, seconds]) => !Number.isNaN(seconds)));
}

/**
 * Seconds from the start of `change` (a `git push`, a `config:set`) until nginx answers `path`
 * with `expected`, and where they went.
 */
async function changeToLive(
  app: string,
  change: () => Promise<RunResult>,
  expected: string,
  urlPath = '/',
): Promise<Push> {
  await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  const startedAt = Date.now();
  const started = performance.now();
  const changing = change().then((result) => {
    if (result.code !== 0) throw new Error(`the change failed:\n${result.output}`);
    return (performance.now() - started) / 1000;
  });
  const live = await untilAnswer(
    started,
    async () => (await slipway.get(slipway.appHost(app), urlPath)).body,
    expected,
  );
  const liveAt = startedAt + live * 1000;
  const push = await changing;
  const [deploy] = JSON.parse((await slipway.ssh(['builds:list', app, '--format', 'json'])).stdout) as {
    timings_ms: Record<string, number>;
    started_at: string;
  }[];
  const received = Date.parse(deploy!.started_at);
  const timings = Object.fromEntries(Object.entries(deploy!.timings_ms).map(([phase, ms]) => [phase, received + ms]));
  return { live, push, phases: phasesOf(startedAt, liveAt, timings) };
}

const pushToLive = (app: string, repo: string, expected: string) =>
  changeToLive(app, () => slipway.push(repo), expected);

/** config:set to the new value served: the app restarts on its image, with no build. */
async function measureConfigSet(app: string): Promise<{ lines: string[]; median: number }> {
  const changes: Push[] = [];
  for (let i = 1; i <= WARM_PUSHES; i++) {
    const value = `value-${i}-${randomBytes(3).toString('hex')}`;
    changes.push(
      await changeToLive(
        app,
        () => slipway.ssh(['config:set', app, `BENCH_VALUE=${value}`]),
        value,
        '/env/BENCH_VALUE',
      ),
    );
  }
  const lives = changes.map((c) => c.live);
  const lines = [
    `bench-deploy: config:set to the new value answering via nginx (same app, ${PAUSE_MS / 1000} s apart, n=${WARM_PUSHES})`,
    `  median ${s(median(lives))} (min ${s(Math.min(...lives))}, max ${s(Math.max(...lives))}); each: ${lives.map((l) => l.toFixed(2)).join(' ')}`,
    `  where the time goes (median seconds): ${phaseLine(changes)}`,
  ];
  return { lines, median: median(lives) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const s = (n: number) => `${n.toFixed(2)} s`;

/** The median of each phase over the pushes, as one line. */
function phaseLine(pushes: Push[]): string {
  const names = Object.keys(pushes[0]!.phases);
  return names.map((name) => `${name} ${median(pushes.map((p) => p.phases[name]!)).toFixed(3)}`).join(', ');
}

interface Measured {
  lines: string[];
  warmMedian: number;
}

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
}): Promise<Measured> {
  const repo = await slipway.appRepo(options.fixture, options.app);
  const unique = randomBytes(4).toString('hex');
  options.makeCold(repo, unique);
  options.change(repo, `cold ${unique}`);
  await run('git', ['add', '-A'], { cwd: repo });
  await slipway.commit(repo, 'cold');
  const cold = await pushToLive(options.app, repo, `cold ${unique}`);
  const warm: Push[] = [];
  for (let i = 1; i <= WARM_PUSHES; i++) {
    options.change(repo, `warm ${i} ${unique}`);
    await slipway.commit(repo, `warm ${i}`);
    warm.push(await pushToLive(options.app, repo, `warm ${i} ${unique}`));
  }
  const lives = warm.map((w) => w.live);
  return {
    warmMedian: median(lives),
    lines: [
      `bench-deploy: ${options.label}, git push over OpenSSH to answer via nginx`,
      `  cold push: live after ${s(cold.live)}, git push returned after ${s(cold.push)}`,
      `  warm pushes, one file changed, ${PAUSE_MS / 1000} s apart (n=${WARM_PUSHES}): median live after ${s(median(lives))} ` +
        `(min ${s(Math.min(...lives))}, max ${s(Math.max(...lives))}); median git push ${s(median(warm.map((w) => w.push)))}`,
      `  each warm push: ${lives.map((l) => l.toFixed(2)).join(' ')}`,
      `  where a warm push's time goes (median seconds): ${phaseLine(warm)}`,
    ],
  };
}

function httpBody(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** Seconds of a floor run: the whole change, and from `docker run` on (what a config change needs). */
interface Floor {
  whole: number;
  run: number;
}

/**
 * The floor for the same one-file change, done directly with Docker and nothing else: build
 * the changed context (the engine's layer cache warm from the previous build), run the image
 * with a published port, and wait for its first answer with the new body.
 */
async function measureFloor(fixture: string, change: (repo: string, marker: string) => void): Promise<Floor[]> {
  const dir = fs.mkdtempSync(path.join(slipway.dir, 'floor-'));
  fs.cpSync(path.resolve(import.meta.dirname, '../../test/fixtures', fixture), dir, { recursive: true });
  const image = `slipway-bench-floor-${randomBytes(3).toString('hex')}`;
  const docker = async (args: string[]) => {
    const result = await run('docker', args, { cwd: dir });
    if (result.code !== 0) throw new Error(`docker ${args[0]} failed: ${result.output}`);
    return result.stdout.trim();
  };
  const once = async (marker: string) => {
    change(dir, marker);
    const port = await freePort();
    const started = performance.now();
    await docker(['build', '-q', '-t', image, '.']);
    const runStarted = performance.now();
    const container = await docker([
      'run',
      '-d',
      '-e',
      'PORT=5000',
      '-e',
      `BENCH_VALUE=${marker}`,
      '-p',
      `127.0.0.1:${port}:5000`,
      image,
    ]);
    const seconds = await untilAnswer(started, () => httpBody(port), marker);
    await docker(['rm', '-f', container]);
    return { whole: seconds, run: seconds - (runStarted - started) / 1000 };
  };
  try {
    // Markers of this run only: a change built by an earlier run would be a cache hit (about 0.2 s, not 0.6).
    const unique = randomBytes(4).toString('hex');
    await once(`floor warm-up ${unique}`);
    const times: Floor[] = [];
    for (let i = 1; i <= WARM_PUSHES; i++) times.push(await once(`floor ${i} ${unique}`));
    return times;
  } finally {
    await run('docker', ['rmi', '-f', image]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Seconds the engine takes to create and start a container (nothing in it answers), by
 * where its network is: a network of its own with the engine's DNS (as every app's
 * container is, so services resolve and apps are apart), the default bridge (no DNS), and the
 * host's (no network namespace at all). The first is the least a config change can cost here.
 */
async function measureContainerStart(image: string): Promise<Record<string, number>> {
  const docker = new Docker();
  const ownNetwork = `slipway-bench-start-${randomBytes(3).toString('hex')}`;
  await docker.createNetwork({ Name: ownNetwork });
  const kinds = { 'own network': ownNetwork, 'default bridge': 'bridge', host: 'host' };
  const medians: Record<string, number> = {};
  try {
    for (const [kind, network] of Object.entries(kinds)) {
      const times: number[] = [];
      for (let i = 0; i < WARM_PUSHES; i++) {
        const started = performance.now();
        const container = await docker.createContainer({
          Image: image,
          Cmd: ['sleep', '60'],
          HostConfig: { NetworkMode: network, Init: true },
        });
        await container.start();
        times.push((performance.now() - started) / 1000);
        await container.remove({ force: true });
      }
      medians[kind] = median(times);
    }
  } finally {
    await docker.getNetwork(ownNetwork).remove();
  }
  return medians;
}

const greeting = (repo: string, marker: string) => setGreeting(repo, marker);

/** The buildpack apps, each measured as `measure` does; BENCH_ONLY (e.g. go,ruby) picks some. */
const BUILDPACK_APPS = [
  {
    name: 'node',
    label: 'buildpack Node app with a dependency (test/fixtures/node-deps)',
    fixture: 'node-deps',
    // a new app has an empty build cache: the dependency install runs
    change: (repo: string, marker: string) =>
      rewrite(repo, 'server.js', /const VERSION = .*;/, `const VERSION = '${marker}';`),
  },
  {
    name: 'python',
    label: 'buildpack Python app (test/fixtures/python-app)',
    fixture: 'python-app',
    change: (repo: string, marker: string) => rewrite(repo, 'server.py', /^VERSION = .*$/m, `VERSION = " ${marker}"`),
  },
  {
    name: 'java',
    label: 'buildpack Java app, Maven (test/fixtures/java-app)',
    fixture: 'java-app',
    change: (repo: string, marker: string) =>
      rewrite(repo, 'src/main/java/example/App.java', /VERSION = ".*";/, `VERSION = "${marker}";`),
  },
  {
    name: 'php',
    label: 'buildpack PHP app (test/fixtures/php-app)',
    fixture: 'php-app',
    change: (repo: string, marker: string) =>
      rewrite(repo, 'public/index.php', /^const VERSION = .*;$/m, `const VERSION = '${marker}';`),
  },
  {
    name: 'go',
    label: 'buildpack Go app with vendored modules (test/fixtures/go-app)',
    fixture: 'go-app',
    change: (repo: string, marker: string) => {
      rewrite(repo, 'main.go', /^const version = .*$/m, `const version = "${marker}"`);
      rewrite(repo, 'main.go', /v%d\\n/, 'v%s\\n');
    },
  },
  {
    name: 'ruby',
    label: 'buildpack Ruby (Rack) app, gems from vendor/cache (test/fixtures/ruby-app)',
    fixture: 'ruby-app',
    change: (repo: string, marker: string) => rewrite(repo, 'config.ru', /^VERSION = .*$/m, `VERSION = "${marker}"`),
  },
];
const chosen = process.env.BENCH_ONLY?.split(',');
const measured = (name: string) => chosen === undefined || chosen.includes(name);

test('push-to-live', async () => {
  const lines: string[] = [];
  if (measured('dockerfile')) {
    const dockerfile = await measure({
      label: 'Dockerfile app (test/fixtures/dockerfile-app)',
      fixture: 'dockerfile-app',
      app: 'bench',
      // a unique layer right after FROM, so the cold push rebuilds every app layer
      makeCold: (repo, unique) => rewrite(repo, 'Dockerfile', /^(FROM .*)$/m, `$1\nENV BENCH_RUN=${unique}`),
      change: greeting,
    });
    const configSet = await measureConfigSet('bench');
    const floor = await measureFloor('dockerfile-app', greeting);
    const containerStart = await measureContainerStart('slipway/stack:bookworm'); // what the Dockerfile app is built FROM
    const floorMedian = median(floor.map((f) => f.whole));
    const runFloorMedian = median(floor.map((f) => f.run));
    lines.push(
      ...dockerfile.lines,
      `  floor, the same change done directly (docker build + docker run + first answer, n=${floor.length}): median ${s(floorMedian)} ` +
        `(each: ${floor.map((f) => f.whole.toFixed(2)).join(' ')})`,
      `  Slipway / floor: ${(dockerfile.warmMedian / floorMedian).toFixed(2)}x (target <= 1.5x)`,
      ...configSet.lines,
      `  floor, a new container of the same image answering (docker run + first answer, n=${floor.length}): median ${s(runFloorMedian)} ` +
        `(each: ${floor.map((f) => f.run.toFixed(2)).join(' ')})`,
      `  config:set / floor: ${(configSet.median / runFloorMedian).toFixed(2)}x (target: 0.5 s)`,
      `  a container's create and start alone (median, n=${WARM_PUSHES}): ` +
        Object.entries(containerStart)
          .map(([kind, seconds]) => `${kind} ${s(seconds)}`)
          .join(', '),
    );
  }
  for (const pack of BUILDPACK_APPS.filter((p) => measured(p.name))) {
    const { lines: packLines } = await measure({ ...pack, app: `bench${pack.name}`, makeCold: () => {} });
    lines.push(...packLines);
  }
  console.log(['', ...lines, ''].join('\n'));
});
