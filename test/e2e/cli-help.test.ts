import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { run, SlipwayUnderTest } from '../support/slipway.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

// The CLI over real SSH and the laptop client installed the way a user installs it: help by
// namespace, the nearest command for a typo, Heroku's names, the usage for a missing word,
// completion generated from the command table, and what a push says once the app is live.

const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'helped';
let repo: string;

beforeAll(async () => {
  await slipway.start();
  repo = await slipway.appRepo('dockerfile-app', app);
});
afterAll(() => slipway.destroy());

describe('help over SSH', () => {
  test('`help` is one line per namespace', async () => {
    const help = await slipway.ssh(['help']);
    expect(help.code, help.output).toBe(0);
    expect(help.stdout).toMatch(/^ {4}apps {2,}Manage apps$/m);
    expect(help.stdout).toMatch(/^ {4}config {2,}Manage global and app-specific config vars$/m);
    expect(help.stdout).not.toContain('apps:create');
  });

  test('`help apps` and `apps:help` list the apps commands with their usage', async () => {
    const viaHelp = await slipway.ssh(['help', 'apps']);
    const viaNamespace = await slipway.ssh(['apps:help']);
    expect(viaHelp.code, viaHelp.output).toBe(0);
    expect(viaNamespace.stdout).toBe(viaHelp.stdout);
    expect(viaHelp.stdout).toMatch(/^ {4}apps:destroy <app> \[--force\] +Destroy an app/m);
    expect(viaHelp.stdout).toMatch(/^ {4}apps:info +Same as apps:report$/m);
    const unknown = await slipway.ssh(['nosuch:help']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(' !     `nosuch:help` is not a slipway command.');
  });

  test('an unknown command names the nearest one and fails', async () => {
    const typo = await slipway.ssh(['aps:list']);
    expect(typo.code).toBe(1);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toBe(
      [
        ' !     `aps:list` is not a slipway command.',
        ' !     Did you mean `apps:list`?',
        ' !     See `slipway help` for a list of available commands.',
        '',
      ].join('\n'),
    );
  });

  test('a missing argument shows the usage line', async () => {
    const missing = await slipway.ssh(['apps:rename']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      ' !     Please specify an app to run the command on\n !     Usage: slipway apps:rename <app> <new-app>\n',
    );
  });
});

describe('a push', () => {
  test('says where the app is live at the swap, then what the watch is for', async () => {
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    const url = `http://${app}.slipway.test:${slipway.httpPort}`;
    const live = pushed.output.indexOf(`remote: -----> Live at ${url}`);
    const watching = pushed.output.search(
      /remote: +Watching the new containers for \d+(\.\d+)? s: if one goes down, the deploy fails/,
    );
    const deployed = pushed.output.indexOf('remote: =====> Application deployed:');
    expect(live, pushed.output).toBeGreaterThan(pushed.output.indexOf('Configuring'));
    expect(watching).toBeGreaterThan(live);
    expect(deployed).toBeGreaterThan(watching);
  });

  test('a second push says traffic would go back to the previous release', async () => {
    await slipway.changeFile(repo, 'server.js', 'hello from', 'hello again from');
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toMatch(/if one goes down, traffic goes back to the previous release and the deploy fails/);
  });
});

describe('Dokku’s outputs that scripts read', () => {
  test('`apps:info` is `apps:report`', async () => {
    const alias = await slipway.ssh(['apps:info', app]);
    expect(alias.code, alias.output).toBe(0);
    expect(alias.stdout).toBe((await slipway.ssh(['apps:report', app])).stdout);
  });

  test('checks:run <app> <proc>.<index> checks one instance; one that does not run fails', async () => {
    const one = await slipway.ssh(['checks:run', app, 'web.1']);
    expect(one.code, one.output).toBe(0);
    expect(one.stdout).toContain('All checks successful (web.1)');
    const none = await slipway.ssh(['checks:run', app, 'web.2']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`Invalid container index specified (${app}.web.2)`);
    const noType = await slipway.ssh(['checks:run', app, 'web2']);
    expect(noType.code).toBe(1);
    expect(noType.stderr).toContain(`Invalid process type specified (${app}.web2)`);
  });

  test('--quiet after the command drops the headers, as before it', async () => {
    const after = await slipway.ssh(['apps:list', '--quiet']);
    expect(after.stdout.split('\n')).toContain(app);
    expect(after.stdout).not.toContain('=====>');
    const checks = await slipway.ssh(['checks:run', '--quiet', app]);
    expect(checks.stdout).toContain('All checks successful (web.1)');
    expect(checks.stdout).not.toContain('----->');
  });
});

describe('the laptop client installed with npm i -g', () => {
  let prefix: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const work = fs.mkdtempSync(path.join(slipway.dir, 'npm-'));
    prefix = path.join(work, 'global');
    const npm = (args: string[]) =>
      run('npm', [...args, '--cache', path.join(work, 'cache'), '--offline', '--no-audit', '--no-fund'], {
        cwd: work,
      });
    const packed = await npm(['pack', path.join(ROOT, 'client'), '--pack-destination', work]);
    expect(packed.code, packed.output).toBe(0);
    const tarball = path.join(work, packed.stdout.trim().split('\n').at(-1)!);
    const installed = await npm(['install', '--global', '--prefix', prefix, tarball]);
    expect(installed.code, installed.output).toBe(0);
    // `ssh` on the PATH with the test's key and options, as a user's ~/.ssh/config would give.
    const bin = fs.mkdtempSync(path.join(slipway.dir, 'client-bin-'));
    const options = slipway.sshArgs(slipway.admin).filter((a, i, all) => a !== '-p' && all[i - 1] !== '-p');
    fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh ${options.join(' ')} "$@"\n`, {
      mode: 0o755,
    });
    env = { ...process.env, PATH: `${path.join(prefix, 'bin')}:${bin}:${process.env.PATH}` };
  });

  test('`slipway` on the PATH runs commands on the app of the deploy remote', async () => {
    const help = await run('slipway', ['help', 'apps'], { cwd: repo, env });
    expect(help.code, help.output).toBe(0);
    expect(help.stdout).toContain('Usage: slipway apps[:COMMAND]');
    const report = await run('slipway', ['apps:info'], { cwd: repo, env }); // the remote's app goes in
    expect(report.code, report.output).toBe(0);
    expect(report.stdout).toContain(`=====> ${app} apps information`);
  });

  test('its bash completion completes commands and the host’s app names', async () => {
    const script = path.join(slipway.dir, 'slipway.bash');
    const generated = await run('slipway', ['completion', 'bash'], { cwd: repo, env });
    expect(generated.code, generated.output).toBe(0);
    fs.writeFileSync(script, generated.stdout);
    const complete = async (line: string) => {
      const words = line.split(' ');
      const program = `source ${script}
COMP_LINE='${line}'; COMP_POINT=${line.length}; COMP_WORDS=(${words.join(' ')} ''); COMP_CWORD=${words.length}
_slipway; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = await run('bash', ['-c', program], { cwd: repo, env });
      expect(result.stderr).toBe('');
      return result.stdout.split('\n').filter(Boolean);
    };
    expect(await complete('slipway apps:re')).toEqual(['rename', 'report']); // bash replaces what follows the colon
    expect(await complete('slipway apps:destroy hel')).toEqual([app]);
  });

  test('installing the checkout itself gives the same client', async () => {
    const checkoutPrefix = path.join(slipway.dir, 'checkout-global');
    const installed = await run('npm', ['install', '--global', '--prefix', checkoutPrefix, ROOT, '--offline'], {
      env: { ...process.env, npm_config_cache: path.join(slipway.dir, 'checkout-cache') },
    });
    expect(installed.code, installed.output).toBe(0);
    const outside = await run(path.join(checkoutPrefix, 'bin', 'slipway'), ['help'], { cwd: slipway.dir, env });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("No git remote named 'deploy' here");
  });
});
