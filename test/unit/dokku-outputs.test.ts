import { beforeEach, describe, expect, test } from 'vitest';
import { taskLine } from '../../src/deploy/release.js';
import type { Instance } from '../../src/runtime/scheduler.js';
import { runLine } from '../support/commands.js';
import { deployingEachTest } from '../support/fakes.js';

// Where scripts read Slipway's output as they read Dokku's, it is Dokku's word for word: each
// expected text here is what Dokku's own tests (tests/unit/*.bats) or its code print.

const fixture = deployingEachTest();

const slipway = (...words: string[]) => runLine(fixture.platform, words);

/** A container of shop as the engine lists it. */
const instance = (process: string, index: number, running: boolean): Instance => ({
  id: `${process}${index}0123456789abcdef`,
  name: `shop.${process}.${index}`,
  process,
  index,
  release: 1,
  running,
  restarting: false,
  endpoint: undefined,
});

describe('ps:scale prints the formation in Dokku’s columns; --quiet leaves out the header', () => {
  test.each([
    ['--quiet, one type (ps-general-1.bats)', { web: 1 }, ['--quiet', 'ps:scale', 'shop'], 'web:  1'],
    [
      '--quiet, names longer than the column (ps:scale formatting)',
      { web: 4, worker: 1, beat: 0 },
      ['--quiet', 'ps:scale', 'shop'],
      'beat: 0\nweb:  4\nworker: 1',
    ],
    [
      'without --quiet: the step and the header',
      { web: 1 },
      ['ps:scale', 'shop'],
      '-----> Scaling for shop\nproctype: qty\n--------: ---\nweb:  1',
    ],
    ['--format json', { web: 1 }, ['ps:scale', 'shop', '--format', 'json'], '[{"process_type":"web","quantity":1}]'],
  ])('%s', async (_label, formation, words, expected) => {
    fixture.platform.state.apps.setFormation('shop', formation);
    const { code, stdout } = await slipway(...words);
    expect(code).toBe(0);
    expect(stdout).toBe(expected);
  });
});

describe('ps:report shows each container’s status as Dokku does', () => {
  beforeEach(() => fixture.scheduler.running.push(instance('web', 1, true), instance('web', 2, false)));

  test.each([
    [
      'the row, the flag’s dot shown as a space',
      ['ps:report', 'shop'],
      /^ {7}Status web 1: {18}running \(CID: web10123456\)$/m,
    ],
    [
      'a stopped container is exited, as Docker says',
      ['ps:report', 'shop'],
      /^ {7}Status web 2: {18}exited \(CID: web20123456\)$/m,
    ],
    ['its flag, --status-web.1', ['ps:report', 'shop', '--status-web.1'], /^running \(CID: web10123456\)$/],
    [
      'its JSON key, status-web.1',
      ['ps:report', 'shop', '--format', 'json'],
      /"status-web\.1":"running \(CID: web10123456\)"/,
    ],
  ])('%s', async (_label, words, expected) => {
    const { code, stdout } = await slipway(...words);
    expect(code).toBe(0);
    expect(stdout).toMatch(expected);
  });
});

describe('checks:run prints Dokku’s steps: the run’s, then each container’s before its outcome', () => {
  beforeEach(() => {
    fixture.platform.state.apps.setFormation('shop', { web: 2 });
    fixture.scheduler.running.push(instance('web', 1, true), instance('web', 2, true));
  });

  const each = (index: number) => [
    `-----> Running checks for app (shop.web.${index})`,
    `       All checks successful (web.${index})`,
  ];
  test.each([
    ['every container', ['checks:run', 'shop'], ['-----> Running pre-flight checks', ...each(1), ...each(2)]],
    ['one, by <proc>.<index>', ['checks:run', 'shop', 'web.2'], ['-----> Running pre-flight checks', ...each(2)]],
    ['--quiet: the outcomes only', ['--quiet', 'checks:run', 'shop'], [each(1)[1], each(2)[1]]],
  ])('%s', async (_label, words, expected) => {
    const { code, stdout } = await slipway(...words);
    expect(code).toBe(0);
    expect(stdout).toBe(expected.join('\n'));
  });
});

describe('ps:set restart-policy refuses a policy Docker does not have in Dokku’s words', () => {
  test.each([['bogus'], ['on-failure:x'], ['sometimes']])('%s', async (policy) => {
    const { code, stderr } = await slipway('ps:set', 'shop', 'restart-policy', policy);
    expect(code).toBe(1);
    expect(stderr).toContain(' !     Invalid restart-policy specified');
  });
});

describe('ports:list prints Dokku’s table; --quiet only the mappings (`| xargs` is `http 80 5000`)', () => {
  test.each([
    [
      'without --quiet',
      ['ports:list', 'shop'],
      '-----> Port mappings for shop\n    -----> scheme  host port  container port\n    http           80         5000',
    ],
    ['--quiet', ['--quiet', 'ports:list', 'shop'], '    http  80  5000'],
  ])('%s', async (_label, words, expected) => {
    const { code, stdout } = await slipway(...words);
    expect(code).toBe(0);
    expect(stdout).toBe(expected);
  });

  test('mappings sorted as Dokku sorts them, by their text (`http:8080:…` before `http:80:…`)', async () => {
    fixture.platform.state.apps.create('idle'); // not deployed: setting its ports deploys nothing
    expect((await slipway('ports:set', 'idle', 'https:443:5000', 'http:8080:5000', 'http:80:5000')).code).toBe(0);
    expect((await slipway('--quiet', 'ports:list', 'idle')).stdout).toBe(
      ['    http   8080  5000', '    http   80    5000', '    https  443   5000'].join('\n'),
    );
  });
});

describe('app.json and Procfile tasks are announced in Dokku’s words (app-json.bats)', () => {
  test.each([
    ['predeploy', 'touch /app/predeploy.test', 'Executing predeploy task from app.json: touch /app/predeploy.test'],
    [
      'postdeploy',
      'touch /app/postdeploy.test',
      'Executing postdeploy task from app.json in ephemeral container: touch /app/postdeploy.test',
    ],
    ['release', 'rake db:migrate', 'Executing release task from Procfile in ephemeral container: rake db:migrate'],
  ] as const)('%s', (task, command, expected) => {
    expect(taskLine(task, command)).toBe(expected);
  });
});
