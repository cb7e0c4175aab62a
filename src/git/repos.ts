import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type IsomorphicGit from 'isomorphic-git';
import { lazyPackage } from '../core/lazy.js';
import { writeIfChanged } from '../core/files.js';
import { runProgram } from '../core/process.js';

const git = lazyPackage<typeof IsomorphicGit>('isomorphic-git');

const HOOK_PROGRAM = fileURLToPath(new URL('./pre-receive.js', import.meta.url));
const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

export const repoPath = (reposDir: string, app: string) => path.join(reposDir, `${app}.git`);

/**
 * Makes sure the app's bare repository exists with Slipway's pre-receive hook. The hook is
 * rewritten every time, so it always points at the installed Slipway.
 */
export async function ensureRepo(reposDir: string, app: string): Promise<string> {
  const dir = repoPath(reposDir, app);
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const init = await runProgram('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
    if (init.code !== 0) throw new Error(`git init failed: ${init.stderr.trim()}`);
    // Check every pushed object, so a corrupt or malicious pack never lands in the repo.
    await runProgram('git', ['-C', dir, 'config', 'receive.fsckObjects', 'true']);
  }
  installHook(dir);
  return dir;
}

function installHook(dir: string): void {
  for (const p of [process.execPath, HOOK_PROGRAM]) {
    if (!SAFE_PATH.test(p)) throw new Error(`cannot install the git hook from an unusual path: ${p}`);
  }
  const script = `#!/bin/sh\n# Installed by Slipway: hands the push to the deploy queue.\nexec '${process.execPath}' '${HOOK_PROGRAM}'\n`;
  const hook = path.join(dir, 'hooks', 'pre-receive');
  fs.mkdirSync(path.dirname(hook), { recursive: true });
  writeIfChanged(hook, script, 0o755); // whole, as a push may run it meanwhile; rewritten only when it changed
}

export function removeRepo(reposDir: string, app: string): void {
  fs.rmSync(repoPath(reposDir, app), { recursive: true, force: true });
}

/** The commit a branch points at in the app's repo, or undefined before the first push. */
export async function branchRev(reposDir: string, app: string, branch: string): Promise<string | undefined> {
  try {
    return await git().resolveRef({ fs, gitdir: repoPath(reposDir, app), ref: `refs/heads/${branch}` });
  } catch (error) {
    // Only a missing branch means "not pushed yet"; a repository that cannot be read must say so.
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** isomorphic-git's error for a ref or object that is not there (its errors carry a `code`). */
const isNotFound = (error: unknown) => error instanceof Error && (error as { code?: unknown }).code === 'NotFoundError';

/** A commit's message, first line only, or undefined when the repo no longer has it. */
export async function commitSubject(reposDir: string, app: string, rev: string): Promise<string | undefined> {
  try {
    const { commit } = await git().readCommit({ fs, gitdir: repoPath(reposDir, app), oid: rev });
    return commit.message.split('\n')[0];
  } catch {
    return undefined;
  }
}

/** Renames an app's repository; its hook names no app, so it moves as it is. */
export function moveRepo(reposDir: string, from: string, to: string): void {
  if (fs.existsSync(repoPath(reposDir, from))) fs.renameSync(repoPath(reposDir, from), repoPath(reposDir, to));
}

/** Gives a new app a copy of another's repository (apps:clone): same commits, same branches. */
export async function copyRepo(reposDir: string, from: string, to: string): Promise<void> {
  fs.rmSync(repoPath(reposDir, to), { recursive: true, force: true });
  fs.cpSync(repoPath(reposDir, from), repoPath(reposDir, to), { recursive: true });
  await ensureRepo(reposDir, to);
}
