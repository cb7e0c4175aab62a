import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { DrainJson } from '../../src/commands/drains/index.js';
import { parseJson } from '../support/json.js';
import { Rsyslog } from '../support/rsyslog.js';
import { pushOrThrow } from '../support/pushes.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

// The router's access log as a drain source (drains:add <app> <url> --router), received by
// Debian's rsyslog: a line per request in Heroku's router format, beside the app's own lines,
// and none lost while the daemon is down (nginx keeps them until it takes them).

const dir = fs.mkdtempSync('/tmp/slipway-router-drain-');
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const rsyslog = new Rsyslog(dir);
const APP = 'routed';

/** What rsyslog wrote of the app's router: `<fields>` per line. */
const routerLines = () =>
  rsyslog
    .lines()
    .filter((l) => l.startsWith(`${APP} router `))
    .map((l) => l.replace(/^\S+ router \[[^\]]*\] /, ''));
const routerLineOf = (path: string) => routerLines().find((l) => l.includes(`path="${path}"`));

beforeAll(async () => {
  await slipway.start();
  await rsyslog.start();
  const repo = await slipway.appRepo('dockerfile-app', APP);
  await pushOrThrow(slipway, repo);
}, 240_000);
afterAll(async () => {
  await rsyslog.stop();
  await slipway.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('router drains', () => {
  test('each request the router answers arrives as a Heroku router line, with the app’s own lines', async () => {
    const added = await slipway.ssh(['drains:add', APP, `syslog://127.0.0.1:${rsyslog.plainPort}`, '--router']);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('requests the router answers');
    const listed = parseJson<DrainJson[]>((await slipway.ssh(['drains:list', APP, '--format', 'json'])).stdout);
    expect(listed).toMatchObject([{ app: APP, router: true }]);
    // nginx records the app's requests once the daemon asked for them (its first scan after the add).
    await eventually(
      async () => {
        await slipway.get(slipway.appHost(APP), '/log/warming-up');
        return routerLineOf('/log/warming-up');
      },
      (line) => line !== undefined,
      30_000,
    );
    expect((await slipway.get(slipway.appHost(APP), '/log/from-the-app')).status).toBe(200);
    expect((await slipway.get(slipway.appHost(APP), '/env/NOT_SET?x="y"')).status).toBe(404);
    await eventually(
      async () => routerLineOf('/env/NOT_SET?x=%22y%22'),
      (line) => line !== undefined,
      20_000,
    );
    expect(routerLineOf('/log/from-the-app')).toMatch(
      new RegExp(
        `^at=info method=GET path="/log/from-the-app" host=${APP}\\.slipway\\.test fwd="127\\.0\\.0\\.1" connect=\\d+ms service=\\d+ms status=200 bytes=\\d+ protocol=http$`,
      ),
    );
    expect(routerLineOf('/env/NOT_SET?x=%22y%22')).toContain(' status=404 ');
    // The app's own line came through the same drain, from its container.
    expect(rsyslog.lines().some((l) => l.startsWith(`${APP} web.1 `) && l.endsWith('from-the-app'))).toBe(true);
  }, 90_000);

  test('requests answered while the daemon is down arrive once it is back', async () => {
    await slipway.stopDaemon();
    for (let i = 1; i <= 5; i++) expect((await slipway.get(slipway.appHost(APP), `/while-away-${i}`)).status).toBe(200);
    await slipway.startDaemon();
    await eventually(
      async () => [1, 2, 3, 4, 5].filter((i) => routerLineOf(`/while-away-${i}`) === undefined),
      (missing) => missing.length === 0,
      30_000,
    );
    expect(routerLines().filter((l) => l.includes('/while-away-'))).toHaveLength(5);
  }, 90_000);
});
