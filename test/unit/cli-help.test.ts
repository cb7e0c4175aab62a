import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { completionScript } from '../../src/commands/completion.js';
import { ALIASES, didYouMean } from '../../src/commands/help.js';
import { listCommands } from '../../src/commands/index.js';
import { runLine } from '../support/commands.js';
import { eachTest, unitPlatform } from '../support/fakes.js';

// The CLI helps a user who does not know the command yet: help by namespace, the nearest
// command for a typo, the usage line for a missing word, Heroku's names, shell completion.

const fixture = eachTest(() => unitPlatform({}));
beforeEach(() => {
  fixture.platform.state.apps.create('shop');
});

const slipway = (...words: string[]) => runLine(fixture.platform, words);

describe('help', () => {
  test('lists one line per namespace with its summary, not every command', async () => {
    const { code, stdout } = await slipway('help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {4}apps {2,}Manage apps$/m);
    expect(stdout).toMatch(/^ {4}postgres {2,}Manage Postgres services$/m);
    expect(stdout).toMatch(/^ {4}version {2,}Show the Slipway version$/m);
    expect(stdout).not.toContain('apps:create');
    expect(stdout).toContain('slipway COMMAND:help');
  });

  test('every namespace has a summary of its own', async () => {
    const { stdout } = await slipway('help');
    expect(stdout).not.toMatch(/The \S+ commands$/m);
  });

  test('`help apps` and `apps:help` list the namespace’s commands with usage and summary', async () => {
    const viaHelp = await slipway('help', 'apps');
    const viaNamespace = await slipway('apps:help');
    expect(viaHelp.code).toBe(0);
    expect(viaNamespace).toEqual(viaHelp);
    expect(viaHelp.stdout).toContain('Usage: slipway apps[:COMMAND]');
    expect(viaHelp.stdout).toMatch(/^ {4}apps:rename <app> <new-app> +Rename an app/m);
    expect(viaHelp.stdout).toMatch(/^ {4}apps:report \[<app>\]/m); // the generated report too
    expect(viaHelp.stdout).not.toContain('config:set');
  });

  test('a namespace whose name is also a command shows the namespace (`help run`)', async () => {
    const { stdout } = await slipway('help', 'run');
    expect(stdout).toMatch(/^ {4}run \[-e\|--env <env>\]/m);
    expect(stdout).toMatch(/^ {4}run:detached /m);
    expect(stdout).toMatch(/^ {4}enter <app>/m);
  });

  test('`help --all` is the flat list of every command', async () => {
    const { stdout } = await slipway('help', '--all');
    for (const { name } of listCommands()) expect(stdout).toContain(`    ${name}`);
  });

  test('`help <command>` is its usage', async () => {
    const { code, stdout } = await slipway('help', 'apps:rename');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('Usage: slipway apps:rename <app> <new-app>');
  });

  test('an unknown namespace is an error with the nearest guess', async () => {
    const result = await slipway('help', 'aps');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(' !     `aps` is not a slipway command.');
    expect(result.stderr).toMatch(/ ! {5}Did you mean `apps`( or `ps`)?\?/);
    expect((await slipway('aps:help')).stderr).toContain(' !     Did you mean `apps:help`');
    const unknown = await slipway('nosuchthing:help');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(' !     `nosuchthing:help` is not a slipway command.');
  });
});

describe('did you mean', () => {
  const names = listCommands().map((c) => c.name);

  test('a typo finds the command', () => {
    expect(didYouMean('aps:list', names)).toEqual(['apps:list']);
    expect(didYouMean('config:st', names)).toEqual(['config:set']);
    expect(didYouMean('ps:restrat', names)).toEqual(['ps:restart']);
  });

  test('nothing close, nothing guessed; absurdly long input is not compared', () => {
    expect(didYouMean('frobnicate', names)).toEqual([]);
    expect(didYouMean('apps:list'.repeat(10), ['apps:list'.repeat(10)])).toEqual([]);
    expect(didYouMean('', names)).toEqual([]);
  });

  test('an unknown command says Dokku’s two lines with the guess between them, and fails', async () => {
    const { code, stderr } = await slipway('aps:list');
    expect(code).toBe(1);
    expect(stderr.split('\n')).toEqual([
      ' !     `aps:list` is not a slipway command.',
      ' !     Did you mean `apps:list`?',
      ' !     See `slipway help` for a list of available commands.',
    ]);
  });

  test('a known namespace with an unknown command points at that namespace’s help', async () => {
    const { stderr } = await slipway('apps:frobnicate');
    expect(stderr).toContain(' !     See `slipway apps:help` for the apps commands.');
  });
});

describe('aliases', () => {
  test('each alias names a command, and no command has an alias’s name', () => {
    const names = new Set(listCommands().map((c) => c.name));
    for (const [alias, target] of Object.entries(ALIASES)) {
      expect(names.has(target), target).toBe(true);
      expect(names.has(alias), alias).toBe(false);
    }
  });

  test('`apps:info` runs `apps:report`', async () => {
    const viaAlias = await slipway('apps:info', 'shop');
    expect(viaAlias.code).toBe(0);
    expect(viaAlias).toEqual(await slipway('apps:report', 'shop'));
  });

  test('aliases appear in help beside their command', async () => {
    expect((await slipway('help', 'apps')).stdout).toMatch(/^ {4}apps:info +Same as apps:report$/m);
    expect((await slipway('help', 'ps')).stdout).toMatch(/^ {4}restart +Same as ps:restart$/m);
    expect((await slipway('apps:info', '--help')).stdout).toContain('Also: apps:info');
  });
});

describe('the usage line for words that do not fit', () => {
  test('a missing required word says what is missing, then the usage', async () => {
    const { code, stderr } = await slipway('apps:rename', 'shop');
    expect(code).toBe(1);
    expect(stderr.split('\n')).toEqual([
      ' !     Please specify new-app',
      ' !     Usage: slipway apps:rename <app> <new-app>',
    ]);
  });

  test('a missing app keeps Dokku’s message, with the usage after it', async () => {
    const { stderr } = await slipway('config:get');
    expect(stderr.split('\n')).toEqual([
      ' !     Please specify an app to run the command on',
      ' !     Usage: slipway config:get <app>|--global <KEY> [--quoted] [--merged]',
    ]);
  });

  test('an extra word and a bad flag show the usage too; an app that is not there does not', async () => {
    expect((await slipway('apps:list', 'extra')).stderr).toContain(' !     Usage: slipway apps:list');
    expect((await slipway('apps:list', '--nope')).stderr).toContain(' !     Usage: slipway apps:list');
    const ghost = await slipway('config:show', 'ghost');
    expect(ghost.stderr).toBe(' !     App ghost does not exist');
  });
});

describe('--quiet', () => {
  test('after the command drops the headers as before it (`run:list --quiet app`)', async () => {
    const before = await slipway('--quiet', 'apps:list');
    const after = await slipway('apps:list', '--quiet');
    expect(after).toEqual(before);
    expect(after.stdout).toBe('shop');
    expect((await slipway('apps:list')).stdout).toContain('=====> My Apps');
  });
});

describe('shell completion', () => {
  const entries = [
    { name: 'apps:list', summary: 'List apps', appFirst: false },
    { name: 'apps:destroy', summary: 'Destroy an app', appFirst: true },
    { name: 'config:set', summary: "Set config vars (it's quoted)", appFirst: true },
    { name: 'version', summary: 'Show the version', appFirst: false },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-completion-'));
  // A stand-in client on the PATH: what `slipway apps:list --quiet` prints.
  fs.writeFileSync(
    path.join(dir, 'slipway'),
    '#!/bin/sh\n[ "$*" = "apps:list --quiet" ] && printf "shop\\nshelf\\nother\\n"\n',
    { mode: 0o755 },
  );
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** What bash offers for the line typed so far. */
  function bashComplete(line: string): string[] {
    const script = path.join(dir, 'completion.bash');
    fs.writeFileSync(script, completionScript('bash', entries));
    const words = line.split(/ +/);
    const program = `source ${script}
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=${line.length}
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}
_slipway; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = spawnSync('bash', ['-c', program], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    expect(result.stderr.toString()).toBe('');
    return result.stdout.toString().split('\n').filter(Boolean);
  }

  test('bash completes command names, past the colon bash splits words at', () => {
    expect(bashComplete('slipway ')).toEqual(['apps:destroy', 'apps:list', 'config:set', 'version']);
    expect(bashComplete('slipway ap')).toEqual(['apps:destroy', 'apps:list']);
    expect(bashComplete('slipway apps:l')).toEqual(['list']);
    expect(bashComplete('slipway --app shop conf')).toEqual(['config:set']);
  });

  test('bash completes app names where the first argument is an app, and nothing elsewhere', () => {
    expect(bashComplete('slipway apps:destroy sh')).toEqual(['shop', 'shelf']);
    expect(bashComplete('slipway apps:destroy shop ')).toEqual([]);
    expect(bashComplete('slipway apps:list ')).toEqual([]);
    expect(bashComplete('slipway --app shop config:set ')).toEqual([]); // the app is given already
  });

  test('the zsh script is valid zsh with every command and its summary', () => {
    const script = completionScript('zsh', entries);
    expect(script).toContain(`'apps\\:destroy:Destroy an app'`);
    expect(script).toContain(`'config\\:set:Set config vars (it'\\''s quoted)'`);
    expect(script).toMatch(/_slipway_app_commands=\(apps:destroy config:set\)/);
    const zsh = spawnSync('zsh', ['-n'], { input: script });
    if (zsh.error) return; // no zsh here: its syntax was checked where it is installed
    expect(zsh.stderr.toString()).toBe('');
    expect(zsh.status).toBe(0);
  });

  test('`completion` prints the script from the command table, with aliases; another shell is an error', async () => {
    const bash = await slipway('completion', 'bash');
    expect(bash.code).toBe(0);
    expect(bash.stdout).toMatch(/_slipway_commands='[^']*\bapps:create\b/);
    expect(bash.stdout).toMatch(/_slipway_commands='[^']*\bapps:info\b/);
    expect(bash.stdout).toMatch(/_slipway_app_commands='[^']* apps:destroy /);
    expect(bash.stdout).toContain('complete -F _slipway slipway');
    expect((await slipway('completion', 'zsh')).stdout).toContain('#compdef slipway');
    const fish = await slipway('completion', 'fish');
    expect(fish.code).toBe(1);
    expect(fish.stderr).toContain('Specify a shell: bash or zsh');
  });
});
