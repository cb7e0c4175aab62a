import { describe, expect, test } from 'vitest';
import { parseProcfile, parseChecksFile } from '../../src/builder/source.js';
import { defaultProcessTypes } from '../../src/builder/buildpack.js';
import { parseEnvFile, parseJsonEnv } from '../../src/config/env.js';
import { isValidAppName, isValidDomain } from '../../src/core/names.js';
import { parseGitCommand } from '../../src/git/command.js';
import { pemBlocks } from '../../src/proxy/certs.js';

// Untrusted input must cost linear time: one tenant's config:import, certificate or
// Procfile must not stall the daemon (SSH, pushes and hooks share its event loop). Each
// parser gets a 1 MiB worst case for the patterns it used to have; the bound is generous
// (a linear pass takes milliseconds, the old patterns took minutes). The bound is on this
// process's CPU time, not the clock: on a loaded machine the test waits for a core, and the
// wait is not the parser's cost.
const MIB = 1024 * 1024;
const BOUND_MS = 1500;

function timed(parse: () => unknown): number {
  const started = process.cpuUsage();
  try {
    parse();
  } catch {
    // refusing the input is fine; taking long is not
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

const pem = (label: string) => `-----BEGIN ${label}-----`;

describe.each([
  ['an env file value of spaces with no comment', () => parseEnvFile(`A=x${' '.repeat(MIB)}y\n`)],
  ['an env file of many short lines', () => parseEnvFile('A=1\n'.repeat(MIB / 4))],
  ['an env file of one long double-quoted value', () => parseEnvFile(`A="${'\\n'.repeat(MIB / 2)}"\n`)],
  ['a JSON env', () => parseJsonEnv(`{"A":"${'x'.repeat(MIB)}"}`)],
  ['a Procfile command of spaces with no comment', () => parseProcfile(`web: x${' '.repeat(MIB)}y\n`)],
  ['a Procfile of many lines', () => parseProcfile('web: x\n'.repeat(MIB / 7))],
  ['a CHECKS line of spaces', () => parseChecksFile(`/${' '.repeat(MIB)}x\n`)],
  [
    'buildpack release output with a long type line',
    () => defaultProcessTypes(`default_process_types:\n  web: x${' '.repeat(MIB)}y\n`),
  ],
  [
    'a key made of repeated headers',
    () => pemBlocks(pem('PRIVATE KEY').repeat(MIB / 27), { labels: ['PRIVATE KEY'], body: /^[A-Za-z0-9+/=\s:,-]+$/ }),
  ],
  [
    'a chain made of repeated headers',
    () =>
      pemBlocks(`${pem('CERTIFICATE')}\n`.repeat(MIB / 28), { labels: ['CERTIFICATE'], body: /^[A-Za-z0-9+/=\s]+$/ }),
  ],
  ['an app name', () => isValidAppName('a-'.repeat(MIB / 2))],
  ['a domain', () => isValidDomain('a.'.repeat(MIB / 2))],
  ['a git command', () => parseGitCommand(`git-receive-pack '${'a'.repeat(MIB)}`)],
])('%s', (_, parse) => {
  test(`is parsed in linear time (1 MiB under ${BOUND_MS} ms of CPU)`, () => {
    expect(timed(parse)).toBeLessThan(BOUND_MS);
  });
});

describe('the linear parsers still read what they read before', () => {
  test('env file comments, quotes and export', () => {
    expect(parseEnvFile('export A=1 # note\nB="x\\ny"\nC=\'lit # not a comment\'\nD=a#b\n')).toEqual({
      A: '1',
      B: 'x\ny',
      C: 'lit # not a comment',
      D: 'a#b',
    });
  });
  test('Procfile trailing comments, but not a URL', () => {
    expect(parseProcfile('web: node server.js --url http://x # the web\nworker: run // later\n')).toEqual({
      web: 'node server.js --url http://x',
      worker: 'run',
    });
  });
  test('PEM blocks of the labels asked for, in order', () => {
    const text = `junk\n${pem('CERTIFICATE')}\nAAAA\n-----END CERTIFICATE-----\n${pem('PRIVATE KEY')}\nBBBB\n-----END PRIVATE KEY-----\n${pem('CERTIFICATE')}\nCCCC\n-----END CERTIFICATE-----\n`;
    expect(pemBlocks(text, { labels: ['CERTIFICATE'], body: /^[A-Za-z0-9+/=\s]+$/ })).toEqual([
      `${pem('CERTIFICATE')}\nAAAA\n-----END CERTIFICATE-----`,
      `${pem('CERTIFICATE')}\nCCCC\n-----END CERTIFICATE-----`,
    ]);
  });
});
