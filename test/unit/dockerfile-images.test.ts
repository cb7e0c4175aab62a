import { describe, expect, test } from 'vitest';
import { imagesNamed, pinImages, withLabels } from '../../src/builder/dockerfile-images.js';

describe('the images a Dockerfile names', () => {
  test.each([
    ['a plain FROM', 'FROM slipway/stack:bookworm\nRUN true\n', ['slipway/stack:bookworm']],
    [
      'stages and COPY --from an earlier one, by name or index',
      'FROM a:1 AS build\nFROM b:2\nCOPY --from=build /x /x\nCOPY --from=0 /y /y\nFROM build\n',
      ['a:1', 'b:2'],
    ],
    [
      'COPY and ADD --from an image',
      'FROM a\nCOPY --from=victim/app:v1 /app /x\nADD --chown=1 --from=other:2 /a /b\n',
      ['a', 'victim/app:v1', 'other:2'],
    ],
    [
      'a global ARG in FROM, with its default',
      'ARG BASE=victim/app\nARG TAG=v1\nFROM ${BASE}:$TAG\n',
      ['victim/app:v1'],
    ],
    ['${X:-default} and ${X:+alt}', 'ARG EMPTY\nARG SET=1\nFROM ${EMPTY:-dflt}${SET:+:alt}\n', ['dflt:alt']],
    ['an ARG with no default stays a variable', 'ARG BASE\nFROM $BASE\n', ['$BASE']],
    [
      'continuations, comments and --platform',
      'FROM --platform=linux/amd64 \\\n  # a comment\n  a:1 \\\n  AS x\nCOPY \\\n --from=b:2 /a /b\n',
      ['a:1', 'b:2'],
    ],
    ['the escape directive', '# escape=`\nFROM a:1 `\n AS x\nCOPY --from=x /a /b\n', ['a:1']],
    ['lower-case instructions and stage names', 'from a:1 as Build\ncopy --from=build /a /b\n', ['a:1']],
  ])('%s', (_, dockerfile, expected) => {
    expect(imagesNamed(dockerfile)).toEqual(expected);
  });

  test('pinned: each image pulled replaced by its ID, continuation lines, flags, stage names and JSON paths kept', () => {
    const dockerfile =
      'ARG BASE=node:20\nFROM --platform=linux/amd64 \\\n  ${BASE} \\\n  AS build\nRUN make\nFROM scratch\nCOPY --from=reg:5000/x:1 ["/a b", "/c"]\nCOPY --from=build /x /x\n';
    const pins = new Map([
      ['node:20', 'sha256:aaa'],
      ['reg:5000/x:1', 'sha256:bbb'],
    ]);
    expect(pinImages(dockerfile, pins)).toBe(
      'ARG BASE=node:20\nFROM --platform=linux/amd64 sha256:aaa AS build\nRUN make\nFROM scratch\nCOPY --from=sha256:bbb ["/a b", "/c"]\nCOPY --from=build /x /x\n',
    );
  });

  test('pinned with a backtick escape, and an image not pulled stays as written', () => {
    expect(
      pinImages('# escape=`\nFROM a:1 `\n AS x\nFROM slipway/stack:bookworm\n', new Map([['a:1', 'sha256:ccc']])),
    ).toBe('# escape=`\nFROM sha256:ccc AS x\nFROM slipway/stack:bookworm\n');
  });
});

describe('the image labels', () => {
  test('go right after the FROM of the final stage, continuation lines and all', () => {
    const dockerfile = 'FROM a AS build\nRUN make\nFROM b \\\n  AS run\nCOPY --from=build /x /x\n';
    expect(withLabels(dockerfile, { 'slipway.app': 'shop' })).toBe(
      'FROM a AS build\nRUN make\nFROM b \\\n  AS run\nLABEL slipway.app="shop"\nCOPY --from=build /x /x\n',
    );
  });
});
