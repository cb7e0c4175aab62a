import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

// Comments and docs name files of the repository (`see src/builder/languages.ts`): a file moved
// or renamed must not leave a name that leads nowhere, and nothing may send a reader to notes
// that are not in the repository (reference/*.md).

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The repository's own files, as git tracks them; the fixtures' apps have paths of their own. */
const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter(
    (file) =>
      file && !file.startsWith('test/fixtures/') && /\.(ts|js|sh|md|lua|conf|json)$|^(scripts|buildpacks)\//.test(file),
  )
  .filter((file) => !file.endsWith('package-lock.json') && fs.statSync(path.join(ROOT, file)).isFile());

/** `src/…`, `test/…`, `scripts/…`, `templates/…` or `buildpacks/…`, read to its end; only source files' names count. */
const CITED = /(?<![\w./-])(?:src|test|scripts|templates|buildpacks)\/[\w./-]*\w/g;
const SOURCE_FILE = /\.(?:ts|js|sh|lua|conf|hbs)$/;

function citations(test: (file: string, text: string) => string[]): string[] {
  return files.flatMap((file) =>
    test(file, fs.readFileSync(path.join(ROOT, file), 'utf8')).map((c) => `${file}: ${c}`),
  );
}

test('every repository file a comment or doc names is there (a `.js` import path names its `.ts` source)', () => {
  const missing = citations((_file, text) =>
    [...text.matchAll(CITED)]
      .map((m) => m[0])
      .filter((cited) => SOURCE_FILE.test(cited))
      .filter(
        (cited) =>
          !fs.existsSync(path.join(ROOT, cited)) && !fs.existsSync(path.join(ROOT, cited.replace(/\.js$/, '.ts'))),
      ),
  );
  expect(missing).toEqual([]);
});

test('nothing cites reference/*.md, which is not in the repository', () => {
  expect(citations((_file, text) => [...text.matchAll(/\breference\/[\w.-]+\.md\b/g)].map((m) => m[0]))).toEqual([]);
});
