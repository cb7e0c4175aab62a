import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { pushOrThrow, setGreeting } from '../support/pushes.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'cfg';

beforeAll(async () => {
  await slipway.start();
  const repo = await slipway.appRepo('dockerfile-app', app);
  await pushOrThrow(slipway, repo);
});
afterAll(() => slipway.destroy());

const env = async (name: string) => slipway.get(slipway.appHost(app), `/env/${encodeURIComponent(name)}`);
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
type ReleaseJson = { version: number; kind: string; status: string; current: boolean; description: string };
/** `releases --format json`, newest first. */
const releasesOf = async (name: string) =>
  JSON.parse((await slipway.ssh(['releases', '--format', 'json', name])).stdout) as ReleaseJson[];

/** Values that break naive quoting: spaces, both quotes, $, backslashes, newlines, unicode. */
const HOSTILE: Record<string, string> = {
  SPACES: 'a value  with   spaces',
  QUOTES: `it's "quoted" \`backticked\``,
  DOLLAR: '$HOME ${PATH} $(id) `id`',
  BACKSLASH: 'C:\\path\\n\\t\\',
  NEWLINES: 'line one\nline two\r\nline three\n',
  UNICODE: 'héllo wörld ✓ 日本 🚀',
  EQUALS: 'a=b=c',
  EMPTY: '',
  HASH: 'value # not a comment',
};

describe('config', () => {
  test('hostile values survive set, get and the app’s environment exactly', async () => {
    const pairs = Object.entries(HOSTILE).map(([k, v]) => `${k}=${base64(v)}`);
    const set = await slipway.ssh(['config:set', '--encoded', app, ...pairs]);
    expect(set.code, set.output).toBe(0);
    expect(set.stdout).toContain('-----> Setting config vars');
    expect(set.stdout).toContain(`-----> Restarting app ${app}`);
    expect(set.stdout).toContain('=====> Application deployed:');
    // the deploy log names the keys but never shows a value
    expect(set.stdout).toMatch(
      /Releasing cfg \(v\d+\): Set BACKSLASH, DOLLAR, EMPTY, EQUALS, HASH, NEWLINES, QUOTES, SPACES, UNICODE config vars/,
    );

    for (const [key, value] of Object.entries(HOSTILE)) {
      const got = await slipway.ssh(['config:get', app, key]);
      expect(got.code).toBe(0);
      expect(got.stdout).toBe(`${value}\n`);
      const served = await env(key);
      expect(served.body, key).toBe(value);
    }
  });

  test('quoting over SSH keeps spaces and shell characters literal', async () => {
    const set = await slipway.ssh(['config:set', '--no-restart', app, `"GREETING=hello there; \\$(reboot) | cat"`]);
    expect(set.code, set.output).toBe(0);
    expect((await slipway.ssh(['config:get', app, 'GREETING'])).stdout).toBe('hello there; $(reboot) | cat\n');
    expect(set.stdout).not.toContain('Restarting');
  });

  test('a change made with --no-restart goes live on the next ps:restart, as a new release', async () => {
    expect((await slipway.ssh(['config:set', '--no-restart', app, 'LATER=applied'])).code).toBe(0);
    expect((await env('LATER')).status).toBe(404);
    const restarted = await slipway.ssh(['ps:restart', app]);
    expect(restarted.code, restarted.output).toBe(0);
    expect(restarted.stdout).toContain('Apply config changes made with --no-restart');
    expect((await env('LATER')).body).toBe('applied');
  });

  test('export formats round-trip: envfile and json import back byte for byte', async () => {
    const before = JSON.parse((await slipway.ssh(['config:export', '--format', 'json', app])).stdout) as Record<
      string,
      string
    >;
    for (const format of ['envfile', 'json'] as const) {
      const exported = (await slipway.ssh(['config:export', '--format', format, app])).stdout;
      const cleared = await slipway.ssh(['config:clear', '--no-restart', app]);
      expect(cleared.code).toBe(0);
      const imported = await slipway.ssh(['config:import', '--no-restart', '--format', format, app], {
        input: exported,
      });
      expect(imported.code, imported.output).toBe(0);
      expect(JSON.parse((await slipway.ssh(['config:export', '--format', 'json', app])).stdout)).toEqual(before);
    }
  });

  test('shell, exports and json-list formats follow Dokku', async () => {
    await slipway.ssh(['config:clear', '--no-restart', app]);
    await slipway.ssh(['config:set', '--no-restart', app, 'BKEY=true', "aKey=it\\'s"]);
    expect((await slipway.ssh(['config:export', '--format', 'shell', app])).stdout).toBe(
      `BKEY='true' aKey='it'\\''s' \n`,
    );
    expect((await slipway.ssh(['config:export', app])).stdout).toBe(`export BKEY='true'\nexport aKey='it'\\''s'\n`);
    expect(JSON.parse((await slipway.ssh(['config:export', '--format', 'json-list', app])).stdout)).toEqual([
      { name: 'BKEY', value: 'true' },
      { name: 'aKey', value: "it's" },
    ]);
    const show = await slipway.ssh(['config:show', app]);
    expect(show.stdout).toBe(`=====> ${app} env vars\nBKEY:  true\naKey:  it's\n`);
    expect((await slipway.ssh(['config:keys', app])).stdout).toBe('BKEY\naKey\n');
  });

  test('global config is merged under the app’s, and the app’s wins', async () => {
    expect((await slipway.ssh(['config:set', '--global', 'SHARED=global', 'ONLY_GLOBAL=g'])).code).toBe(0);
    const set = await slipway.ssh(['config:set', app, 'SHARED=app']);
    expect(set.code, set.output).toBe(0);
    expect((await env('SHARED')).body).toBe('app');
    expect((await env('ONLY_GLOBAL')).body).toBe('g');
    const merged = await slipway.ssh(['config:get', '--merged', app, 'ONLY_GLOBAL']);
    expect(merged.stdout).toBe('g\n');
    expect((await slipway.ssh(['config:show', '--global'])).stdout).toContain('=====> global env vars');
  });

  test('unset removes a variable from the running app', async () => {
    const unset = await slipway.ssh(['config:unset', app, 'SHARED', 'NEVER_SET']);
    expect(unset.code, unset.output).toBe(0);
    expect(unset.stdout).toContain('-----> Unsetting SHARED');
    expect(unset.stdout).toContain('-----> Skipping NEVER_SET, it is not set in the environment');
    expect((await env('SHARED')).body).toBe('global');
    expect((await slipway.ssh(['config:get', app, 'NEVER_SET'])).code).toBe(1);
  });

  test.each([
    [['config:set', app], 'At least one env pair must be given'],
    [['config:set', app, 'NOEQUALS'], 'Invalid env pair: NOEQUALS'],
    [['config:set', app, '1BAD=x'], "Invalid key name: '1BAD'"],
    [['config:set', app, 'BAD-KEY=x'], "Invalid key name: 'BAD-KEY'"],
    [['config:set', '--encoded', app, 'K=***'], 'Value of K is not valid base64'],
    [['config:unset', app], 'At least one key must be given'],
    [['config:get', 'nope-app', 'K'], 'App nope-app does not exist'],
    [['config:set', '../etc', 'K=V'], 'App name must begin'],
    [['config:export', '--format', 'yaml', app], 'Unknown export format'],
    [['config:import', '--format', 'json', app], 'Invalid JSON'],
  ])('%j is refused with a clear error', async (command, message) => {
    const before = (await slipway.ssh(['config:export', '--format', 'json', app])).stdout;
    const result = await slipway.ssh(command);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(` !     ${message}`);
    expect((await slipway.ssh(['config:export', '--format', 'json', app])).stdout).toBe(before);
  });

  test('a config value larger than the limit is refused and nothing changes', async () => {
    // (An SSH exec line is capped near 32 KB by the protocol; large values come on stdin.)
    const result = await slipway.ssh(['config:import', '--no-restart', app], {
      input: `HUGE=${'x'.repeat(70 * 1024)}\n`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('larger than');
    expect((await slipway.ssh(['config:get', app, 'HUGE'])).code).toBe(1);
  });
});

describe('releases', () => {
  test('every deploy and config change is a release, listed newest first with the current one marked', async () => {
    const listed = await slipway.ssh(['releases', app]);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toBe(`=====> ${app} Releases`);
    expect(lines[1]).toMatch(/^\* v\d+ .* admin +Unset SHARED config vars$/);
    expect(lines.at(-1)).toMatch(/^ {2}v1 .* admin +Deploy [0-9a-f]{7}$/);

    const json = await releasesOf(app);
    expect(json[0]?.current).toBe(true);
    expect(json.at(-1)).toMatchObject({ version: 1, kind: 'deploy', status: 'succeeded' });

    const info = await slipway.ssh(['releases:info', app, 'v1']);
    expect(info.stdout).toContain('Kind:         deploy');
    expect(info.stdout).toMatch(/Commit: +[0-9a-f]{40}/);
    expect(info.stdout).toContain('Message:      initial');
  });

  test('rollback deploys an earlier release’s code and config as a new release', async () => {
    const repo = await slipway.appRepo('dockerfile-app', app);
    // a new version of the code, forced over the first push's history
    setGreeting(repo, 'version two');
    await slipway.commit(repo, 'v2');
    const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
    expect(pushed.code, pushed.output).toBe(0);
    expect((await slipway.get(slipway.appHost(app))).body).toMatch(/^version two/);
    const afterPush = (await releasesOf(app))[0]!.version;

    await slipway.ssh(['config:set', app, 'ROLLBACK_MARK=after']);
    expect((await env('ROLLBACK_MARK')).body).toBe('after');

    const rolled = await slipway.ssh(['releases:rollback', app, 'v1']);
    expect(rolled.code, rolled.output).toBe(0);
    expect(rolled.stdout).toContain(`-----> Rolling back ${app} to v1`);
    const body = (await slipway.get(slipway.appHost(app))).body;
    expect(body).toMatch(/^hello from version 1 \(v\d+ web\.1\)/);
    expect((await env('ROLLBACK_MARK')).status).toBe(404);
    expect((await slipway.ssh(['config:get', app, 'ROLLBACK_MARK'])).code).toBe(1);

    const releases = await releasesOf(app);
    expect(releases[0]).toMatchObject({ kind: 'rollback', description: 'Rollback to v1', current: true });
    expect(releases[0]?.version).toBeGreaterThan(afterPush);

    // and forward again: roll back to the pushed release
    const forward = await slipway.ssh(['releases:rollback', app, `v${afterPush}`]);
    expect(forward.code, forward.output).toBe(0);
    expect((await slipway.get(slipway.appHost(app))).body).toMatch(/^version two/);
  });

  test('ps:rebuild builds the deploy branch again as a new release', async () => {
    const before = (await releasesOf(app))[0];
    const rebuilt = await slipway.ssh(['ps:rebuild', app]);
    expect(rebuilt.code, rebuilt.output).toBe(0);
    expect(rebuilt.stdout).toContain(`-----> Building ${app} from Dockerfile`);
    const after = (await releasesOf(app))[0];
    expect(after).toMatchObject({ kind: 'deploy', current: true, version: before!.version + 1 });
    expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
    expect((await slipway.ssh(['apps:create', 'never-pushed'])).code).toBe(0);
    const empty = await slipway.ssh(['ps:rebuild', 'never-pushed']);
    expect(empty.stderr).toContain("Cannot build from 'main' as there are no commits stored at that branch.");
  });

  test('rollback to a release that does not exist is refused', async () => {
    const result = await slipway.ssh(['releases:rollback', app, 'v999']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Release v999 of cfg cannot be rolled back to');
    expect((await slipway.ssh(['releases:rollback', app, 'latest'])).stderr).toContain('Invalid release');
  });
});

describe('health-checked swaps', () => {
  test('a config change whose new containers fail the healthcheck fails and the old release keeps serving', async () => {
    const before = await slipway.get(slipway.appHost(app));
    const current = (await releasesOf(app))[0]!.version;
    const result = await slipway.ssh(['config:set', app, 'HEALTHY=no']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("Running healthcheck name='health'");
    expect(result.stdout).toContain('Could not start due to 1 failed checks (web.1)');
    expect(await slipway.get(slipway.appHost(app))).toEqual(before);
    const releases = await releasesOf(app);
    expect(releases[0]).toMatchObject({ status: 'failed', current: false });
    expect(releases.find((r) => r.current)?.version).toBe(current);
    expect(
      await eventually(
        () => slipway.containers(app),
        (c) => c.length === 1,
      ),
    ).toHaveLength(1);

    const fixed = await slipway.ssh(['config:unset', app, 'HEALTHY']);
    expect(fixed.code, fixed.output).toBe(0);
  });

  test('checks:skip swaps without checking; checks:enable restores them', async () => {
    expect((await slipway.ssh(['checks:skip', app])).stdout).toContain(`Skipping zero downtime for app (${app})`);
    const report = await slipway.ssh(['checks:report', app]);
    expect(report.stdout).toContain('Checks skipped list:           _all_');
    const restarted = await slipway.ssh(['ps:restart', app]);
    expect(restarted.code, restarted.output).toBe(0);
    expect(restarted.stdout).toContain('Skipping checks (web.1)');
    await slipway.ssh(['checks:enable', app]);
    expect((await slipway.ssh(['checks:report', app])).stdout).toContain('Checks skipped list:           none');
  });

  test('ps:restart replaces the container and keeps the release', async () => {
    const before = await slipway.containers(app);
    const release = (await slipway.get(slipway.appHost(app))).body;
    const restarted = await slipway.ssh(['ps:restart', app]);
    expect(restarted.code, restarted.output).toBe(0);
    expect(restarted.stdout).toContain('All checks successful (web.1)');
    const after = await eventually(
      () => slipway.containers(app),
      (c) => c.length === 1 && c[0]!.name !== before[0]!.name,
    );
    expect(after[0]!.name).not.toBe(before[0]!.name);
    expect((await slipway.get(slipway.appHost(app))).body).toBe(release);
  });

  test('ps:scale changes the running container count, and nginx balances across them', async () => {
    const up = await slipway.ssh(['ps:scale', app, 'web=3']);
    expect(up.code, up.output).toBe(0);
    expect(up.stdout).toContain(`-----> Scaling ${app} processes: web=3`);
    expect(
      await eventually(
        () => slipway.containers(app),
        (c) => c.length === 3,
      ),
    ).toHaveLength(3);
    const dynos = new Set<string>();
    for (let i = 0; i < 30; i++) dynos.add(/(web\.\d)/.exec((await slipway.get(slipway.appHost(app))).body)?.[1] ?? '');
    expect([...dynos].sort()).toEqual(['web.1', 'web.2', 'web.3']);

    const shown = await slipway.ssh(['ps:scale', app]);
    expect(shown.stdout).toContain('web:  3');
    expect(JSON.parse((await slipway.ssh(['ps:scale', '--format', 'json', app])).stdout)).toEqual([
      { process_type: 'web', quantity: 3 },
    ]);

    const down = await slipway.ssh(['ps:scale', app, 'web=1']);
    expect(down.code, down.output).toBe(0);
    expect(
      await eventually(
        () => slipway.containers(app),
        (c) => c.length === 1,
      ),
    ).toHaveLength(1);
  });

  test.each([
    [['ps:scale', app, 'web'], 'Missing count for process type web'],
    [['ps:scale', app, 'web=-1'], 'Invalid count for process type web'],
    [['ps:scale', app, 'web=1000'], 'Invalid count for process type web'],
    [['ps:scale', app, 'Web_1=1'], 'Invalid process type: Web_1'],
    [['checks:skip', app, 'bad_type'], 'Invalid process type specified (bad_type)'],
  ])('%j is refused', async (command, message) => {
    const result = await slipway.ssh(command);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });
});

describe('isolation of config', () => {
  test('secrets reach only their app: not another app, the push output, or the job queue', async () => {
    const secret = `s3cret-${Date.now()}-value`;
    expect((await slipway.ssh(['config:set', app, `API_TOKEN=${secret}`])).code).toBe(0);
    expect((await env('API_TOKEN')).body).toBe(secret);

    const other = await slipway.appRepo('dockerfile-app', 'neighbour');
    const pushed = await slipway.push(other);
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).not.toContain(secret);
    const neighbour = await slipway.get(slipway.appHost('neighbour'), '/env/API_TOKEN');
    expect(neighbour.status).toBe(404);

    // a config change's own deploy log names the key, never the value
    const changed = await slipway.ssh(['config:set', app, `API_TOKEN=${secret}-2`]);
    expect(changed.stdout.split('=====> Application deployed:')[0]).not.toMatch(/Releasing.*s3cret/);

    // nothing Slipway keeps in Redis (jobs, logs) holds the value
    const { Redis } = await import('ioredis');
    const redis = new Redis(inject('redisUrl'));
    try {
      const keys = await redis.keys(`${slipway.instance}:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        const type = await redis.type(key);
        const dump =
          type === 'hash'
            ? JSON.stringify(await redis.hgetall(key))
            : type === 'stream'
              ? JSON.stringify(await redis.xrange(key, '-', '+'))
              : type === 'string'
                ? ((await redis.get(key)) ?? '')
                : type === 'list'
                  ? JSON.stringify(await redis.lrange(key, 0, -1))
                  : '';
        expect(dump, key).not.toContain('s3cret');
      }
    } finally {
      redis.disconnect();
    }
  });
});
