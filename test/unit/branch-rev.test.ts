import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { branchRev } from '../../src/git/repos.js';

// "Not pushed yet" and "cannot read the repository" are different answers: the second must
// not look like an app without commits.

let reposDir: string;
beforeEach(() => {
  reposDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-repos-'));
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', path.join(reposDir, 'shop.git')]);
});
afterEach(() => fs.rmSync(reposDir, { recursive: true, force: true }));

test('a repository without the branch has no commit yet', async () => {
  expect(await branchRev(reposDir, 'shop', 'main')).toBeUndefined();
  expect(await branchRev(reposDir, 'nothing-here', 'main')).toBeUndefined();
});

test('a branch that cannot be resolved is an error, not "no commits"', async () => {
  fs.writeFileSync(path.join(reposDir, 'shop.git', 'refs', 'heads', 'main'), 'ref: refs/heads/main\n');
  await expect(branchRev(reposDir, 'shop', 'main')).rejects.toThrow(/Circular reference/);
});
