import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { beforeEach, describe, expect, test } from 'vitest';
import { languageNamed } from '../../src/builder/languages.js';
import { ensureLanguageImages } from '../../src/builder/stack.js';
import type { DockerEngine } from '../../src/runtime/docker/index.js';

/** The Dockerfile of a build context. */
function dockerfileOf(context: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let dockerfile = '';
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk) => {
        chunks.push(chunk as Buffer);
      });
      stream.on('end', () => {
        if (header.name === 'Dockerfile') dockerfile = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    extract.on('finish', () => resolve(dockerfile));
    extract.on('error', reject);
    context.pipe(extract);
  });
}

describe('a language’s images', () => {
  let ids: Map<string, string>;
  let labels: Map<string, string>;
  let built: { image: string; dockerfile: string }[];
  const engine = {
    images: {
      id: (ref: string) => Promise.resolve(ids.get(ref)),
      label: (ref: string) => Promise.resolve(labels.get(ref)),
      async build(context: Readable, tag: string) {
        const dockerfile = await dockerfileOf(context);
        built.push({ image: tag, dockerfile });
        labels.set(tag, /LABEL slipway\.template=(\w+)/.exec(dockerfile)?.[1] ?? '');
        ids.set(tag, `sha256:${built.length}`);
      },
    },
  } as unknown as DockerEngine;

  const ensure = async () => {
    let announced = 0;
    const result = await ensureLanguageImages(engine, 'slipway/stack:bookworm', languageNamed('go'), {
      rebuild: false,
      onPrepare: () => announced++,
      onLine: () => {},
    });
    return { ...result, announced };
  };

  beforeEach(() => {
    ids = new Map([
      ['slipway/stack:bookworm-build', 'sha256:build1'],
      ['slipway/stack:bookworm-run', 'sha256:run1'],
    ]);
    labels = new Map();
    built = [];
  });

  test('are made from the stack’s build and run images the first time, saying so once', async () => {
    const first = await ensure();
    expect(first).toEqual({
      images: { build: 'slipway/stack:bookworm-build-go', run: 'slipway/stack:bookworm-run-go' },
      built: ['slipway/stack:bookworm-build-go', 'slipway/stack:bookworm-run-go'],
      announced: 1,
    });
    expect(built[0]?.dockerfile).toMatch(
      /^FROM slipway\/stack:bookworm-build\n[^]*apt-get install -y --no-install-recommends golang-go [^]*\nUSER root\n/m,
    );
    expect(built[1]?.dockerfile).toMatch(
      /^FROM slipway\/stack:bookworm-run\n[^]*install -y --no-install-recommends tzdata [^]*\nUSER app\n/m,
    );

    expect(await ensure()).toMatchObject({ built: [], announced: 0 });
  });

  test('are made again when the stack image under them is new', async () => {
    await ensure();
    ids.set('slipway/stack:bookworm-run', 'sha256:run2');
    expect(await ensure()).toMatchObject({ built: ['slipway/stack:bookworm-run-go'], announced: 1 });
  });

  test('need the stack images', async () => {
    ids.delete('slipway/stack:bookworm-build');
    await expect(ensure()).rejects.toThrow(
      'The stack image slipway/stack:bookworm-build is missing: run slipway stack:build',
    );
    expect(built).toEqual([]);
  });
});
