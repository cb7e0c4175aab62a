import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DependenciesGoneError, loadSlugImage, slugImageConfig, splitSlug } from '../../src/builder/slug-image.js';
import type { DockerEngine } from '../../src/runtime/docker/index.js';

const MTIME = new Date('2026-01-02T03:04:05Z');
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slug-test-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A tar of /app as the engine's archive API gives it: root-owned entries under app/. */
async function slugTar(
  files: Record<string, string>,
  links: Record<string, string> = {},
  compiledAt = MTIME,
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  pack.entry({ name: 'app/', type: 'directory', mode: 0o755, mtime: compiledAt });
  for (const [name, content] of Object.entries(files))
    pack.entry({ name: `app/${name}`, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 }, content);
  for (const [name, target] of Object.entries(links))
    pack.entry({ name: `app/${name}`, type: 'link', linkname: `app/${target}`, mtime: MTIME });
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

async function entriesOf(file: string): Promise<{ name: string; uid: number; gid: number }[]> {
  const extract = tar.extract();
  const entries: { name: string; uid: number; gid: number }[] = [];
  extract.on('entry', (header, stream, next) => {
    entries.push({ name: header.name, uid: header.uid, gid: header.gid });
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise<void>((resolve) => extract.on('finish', () => resolve()));
  extract.end(fs.readFileSync(file));
  await done;
  return entries;
}

const split = async (slug: Promise<Buffer>) =>
  splitSlug(Readable.from([await slug]), fs.mkdtempSync(path.join(dir, 'split-')), ['app/.release']);

describe('the slug split into a dependencies layer and a code layer', () => {
  const app = {
    'server.js': 'v1',
    '.release': 'default_process_types:\n  web: node server.js\n',
    'node_modules/dep/index.js': 'dep',
  };

  test('dependencies below the code, everything owned by the app user, small files captured', async () => {
    const { layers, captured } = await split(slugTar(app, { 'bin-dep': 'node_modules/dep/index.js' }));
    expect(layers).toHaveLength(2);
    expect((await entriesOf(layers[0]!.file)).map((e) => e.name)).toEqual([
      'app/',
      'app/node_modules/dep/index.js',
      'app/bin-dep',
    ]);
    expect((await entriesOf(layers[1]!.file)).map((e) => e.name)).toEqual(['app/', 'app/server.js', 'app/.release']);
    for (const layer of layers)
      for (const entry of await entriesOf(layer.file)) expect([entry.uid, entry.gid]).toEqual([1000, 1000]);
    expect(captured['app/.release']).toBe(app['.release']);
  });

  test('a change to the code leaves the dependencies layer the same, byte for byte', async () => {
    const first = await split(slugTar(app));
    const again = await split(slugTar(app));
    const changed = await split(slugTar({ ...app, 'server.js': 'v2' }, {}, new Date())); // a later compile
    expect(again.layers.map((l) => l.diffId)).toEqual(first.layers.map((l) => l.diffId));
    expect(changed.layers[0]!.diffId).toBe(first.layers[0]!.diffId);
    expect(changed.layers[1]!.diffId).not.toBe(first.layers[1]!.diffId);
    expect(first.layers[0]!.diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test("the buildpack's note about its dependencies is read and put in no layer", async () => {
    const { layers, captured } = await split(slugTar({ ...app, '.slipway-dependencies': 'abc123 reused\n' }));
    expect(captured['app/.slipway-dependencies']).toBe('abc123 reused\n');
    for (const layer of layers)
      expect((await entriesOf(layer.file)).map((e) => e.name)).not.toContain('app/.slipway-dependencies');
  });

  test('an app without dependencies is one layer', async () => {
    const { layers } = await split(slugTar({ 'index.html': '<p>hi</p>' }));
    expect(layers).toHaveLength(1);
    expect((await entriesOf(layers[0]!.file)).map((e) => e.name)).toEqual(['app/', 'app/index.html']);
  });
});

test('the image config is the run image plus the slug layers, with the command and labels', () => {
  const base = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/bin'], Cmd: ['bash'], Labels: { stack: 'bookworm' } },
    diffIds: ['sha256:a'],
  };
  expect(
    slugImageConfig(base, ['sha256:b', 'sha256:c'], {
      cmd: ['/launcher', 'web'],
      labels: { app: 'x' },
      created: MTIME,
    }),
  ).toEqual({
    architecture: 'amd64',
    os: 'linux',
    created: '2026-01-02T03:04:05.000Z',
    config: { Env: ['PATH=/bin'], Cmd: ['/launcher', 'web'], Labels: { stack: 'bookworm', app: 'x' } },
    rootfs: { type: 'layers', diff_ids: ['sha256:a', 'sha256:b', 'sha256:c'] },
  });
  expect(slugImageConfig(base, ['sha256:b'], { labels: {}, created: MTIME })).toMatchObject({
    config: { Cmd: ['bash'] },
  });
});

test("a compile that says it reused dependencies this app never had (another app's key, say) is refused before any image is made", async () => {
  const untouched = new Proxy(
    {},
    {
      get: () => {
        throw new Error('Docker was reached');
      },
    },
  ) as DockerEngine;
  const base = { architecture: 'amd64', os: 'linux', config: {}, diffIds: ['sha256:a'] };
  const loading = loadSlugImage(untouched, {
    app: 'instance/never-built',
    slug: Readable.from([await slugTar({ 'server.js': 'v1', '.slipway-dependencies': 'key-of-another-app reused\n' })]),
    base,
    tag: 'instance/never-built:v1',
    labels: {},
    workDir: dir,
    capture: [],
    cmd: () => undefined,
  });
  await expect(loading).rejects.toBeInstanceOf(DependenciesGoneError);
});
