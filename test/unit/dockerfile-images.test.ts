import { describe, expect, test } from 'vitest';
import { imagesNamed, refuseForeignImages, repositoryOf, withLabels } from '../../src/build/dockerfile-images.js';

describe('the images a Dockerfile names', () => {
  test.each([
    ['a plain FROM', 'FROM slipway/stack:bookworm\nRUN true\n', ['slipway/stack:bookworm']],
    ['stages and COPY --from an earlier one, by name or index', 'FROM a:1 AS build\nFROM b:2\nCOPY --from=build /x /x\nCOPY --from=0 /y /y\nFROM build\n', ['a:1', 'b:2']],
    ['COPY and ADD --from an image', 'FROM a\nCOPY --from=victim/app:v1 /app /x\nADD --chown=1 --from=other:2 /a /b\n', ['a', 'victim/app:v1', 'other:2']],
    ['a global ARG in FROM, with its default', 'ARG BASE=victim/app\nARG TAG=v1\nFROM ${BASE}:$TAG\n', ['victim/app:v1']],
    ['${X:-default} and ${X:+alt}', 'ARG EMPTY\nARG SET=1\nFROM ${EMPTY:-dflt}${SET:+:alt}\n', ['dflt:alt']],
    ['an ARG with no default stays a variable', 'ARG BASE\nFROM $BASE\n', ['$BASE']],
    ['continuations, comments and --platform', 'FROM --platform=linux/amd64 \\\n  # a comment\n  a:1 \\\n  AS x\nCOPY \\\n --from=b:2 /a /b\n', ['a:1', 'b:2']],
    ['the escape directive', '# escape=`\nFROM a:1 `\n AS x\nCOPY --from=x /a /b\n', ['a:1']],
    ['lower-case instructions and stage names', 'from a:1 as Build\ncopy --from=build /a /b\n', ['a:1']],
  ])('%s', (_, dockerfile, expected) => {
    expect(imagesNamed(dockerfile)).toEqual(expected);
  });

  test('a foreign image is refused, and a variable that names no image too', () => {
    const ownOnly = (ref: string) => repositoryOf(ref) === 'slipway/stack';
    expect(() => refuseForeignImages('FROM slipway/stack:bookworm\nCOPY --from=slipway/app-victim:v1 /app /x\n', ownOnly, 'rule')).toThrow('builds from slipway/app-victim:v1');
    expect(() => refuseForeignImages('ARG B\nFROM $B\n', ownOnly, 'rule')).toThrow('through a variable with no default');
    expect(() => refuseForeignImages('FROM slipway/stack:bookworm-run\n', ownOnly, 'rule')).not.toThrow();
  });

  test.each([
    ['slipway/stack:bookworm', 'slipway/stack'],
    ['localhost:5000/x/y:1', 'localhost:5000/x/y'],
    ['docker.io/library/node:20', 'node'],
    ['a@sha256:abc', 'a'],
  ])('the repository of %s is %s', (ref, repository) => {
    expect(repositoryOf(ref)).toBe(repository);
  });
});

describe('the image labels', () => {
  test('go right after the FROM of the final stage, continuation lines and all', () => {
    const dockerfile = 'FROM a AS build\nRUN make\nFROM b \\\n  AS run\nCOPY --from=build /x /x\n';
    expect(withLabels(dockerfile, { 'slipway.app': 'shop' })).toBe('FROM a AS build\nRUN make\nFROM b \\\n  AS run\nLABEL slipway.app="shop"\nCOPY --from=build /x /x\n');
  });
});
