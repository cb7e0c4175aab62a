import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { FIXTURES, run, SlipwayUnderTest } from '../support/slipway.js';

/**
 * What a push prints where Dokku's own tests (tests/unit/apps_1.bats, app-json*.bats) read
 * Dokku's words: the auto-creation refusal, and the lines of app.json's and the Procfile's
 * tasks. The unit tier has the rest (test/unit/dokku-outputs.test.ts).
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start(), 120_000);
afterAll(() => slipway.destroy());

/** The dockerfile app with these files added (app.json replaced), committed. */
async function repoWith(app: string, files: Record<string, string>): Promise<string> {
  const repo = await slipway.appRepo('dockerfile-app', app);
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(repo, file), text);
  for (const args of [
    ['add', '-A'],
    ['commit', '-qm', 'tasks'],
  ]) {
    const done = await run('git', args, { cwd: repo, env: slipway.gitEnv() });
    if (done.code !== 0) throw new Error(done.output);
  }
  return repo;
}

/** The fixture's app.json (its checks) with these scripts. */
const appJson = (scripts: Record<string, string>) =>
  JSON.stringify({
    ...(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'dockerfile-app', 'app.json'), 'utf8')) as object),
    scripts: { dokku: scripts },
  });
const procfile = 'web: node /app/server.js\nrelease: echo released\n';

describe('a push prints Dokku’s lines for app.json’s and the Procfile’s tasks', () => {
  test.each([
    [
      'tasks that succeed',
      'tasks-ok',
      { 'app.json': appJson({ predeploy: 'echo before', postdeploy: 'echo after' }), Procfile: procfile },
      0,
      [
        '-----> Checking for predeploy task',
        '       Executing predeploy task from app.json: echo before',
        '       Executing release task from Procfile in ephemeral container: echo released',
        '       Executing postdeploy task from app.json in ephemeral container: echo after',
      ],
    ],
    [
      'a predeploy task that fails',
      'tasks-failing',
      { 'app.json': appJson({ predeploy: 'exit 3' }) },
      1,
      [' !     Execution of predeploy task failed: exit 3'],
    ],
  ] as const)(
    '%s',
    async (_label, app, files, failed, lines) => {
      expect((await slipway.ssh(['apps:create', app])).code).toBe(0);
      const pushed = await slipway.push(await repoWith(app, files));
      expect(pushed.code !== 0 ? 1 : 0, pushed.output).toBe(failed);
      for (const line of lines) expect(pushed.output).toContain(`remote: ${line}`);
    },
    180_000,
  );
});

describe('a push to an app that does not exist, with auto-creation disabled', () => {
  test('is refused in Dokku’s two lines', async () => {
    expect((await slipway.ssh(['apps:set', '--global', 'disable-autocreation', 'true'])).code).toBe(0);
    try {
      const repo = await slipway.appRepo('dockerfile-app', 'nowhere');
      const refused = await slipway.push(repo);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain(' !     App auto-creation disabled.');
      expect(refused.output).toContain(
        " !     Re-enable app auto-creation or create an app with 'slipway apps:create nowhere'",
      );
      expect((await slipway.ssh(['apps:exists', 'nowhere'])).code).not.toBe(0);
    } finally {
      await slipway.ssh(['apps:set', '--global', 'disable-autocreation']);
    }
  });
});
