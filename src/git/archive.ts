import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Writes a commit's tree as a tar into the builds directory and returns its path.
 * Dependency-free, because the pre-receive hook uses it on every push.
 * Inside the hook, git's quarantine environment makes the pushed objects visible.
 * With `keepGitDir` (git:set keep-git-dir), the tar also holds a `.git` directory: the
 * commit's history packed into a repository whose `branch` is the commit, as Dokku does.
 */
export function archiveCommit(options: {
  gitDir?: string;
  rev: string;
  buildsDir: string;
  app: string;
  keepGitDir?: { branch: string };
}): string {
  const tarPath = path.join(
    options.buildsDir,
    `${options.app}-${options.rev.slice(0, 12)}-${randomBytes(4).toString('hex')}.tar`,
  );
  const gitDir = options.gitDir ? ['--git-dir', options.gitDir] : [];
  git(
    [...gitDir, 'archive', '--format=tar', '-o', tarPath, options.rev],
    process.env,
    `Could not read commit ${options.rev}`,
  );
  if (options.keepGitDir) appendGitDir(tarPath, options.gitDir, options.rev, options.keepGitDir.branch);
  return tarPath;
}

function git(args: string[], env: NodeJS.ProcessEnv, failure: string, cwd?: string): void {
  const result = spawnSync('git', args, { stdio: ['ignore', 'ignore', 'pipe'], env, cwd });
  if (result.status !== 0) throw new Error(`${failure}: ${result.error?.message ?? result.stderr.toString().trim()}`); // no stderr when git did not start
}

/**
 * A fresh repository borrows the objects it needs through alternates (the pushed ones in
 * git's quarantine, the rest in the app's repository), repacks them as its own, and drops
 * the borrowing; then its `.git` is appended to the tar.
 */
function appendGitDir(tarPath: string, gitDir: string | undefined, rev: string, branch: string): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-git-'));
  // The new repository must not see the hook's GIT_* variables, which point at the app's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GIT_')));
  try {
    git(['init', '--quiet', `--initial-branch=${branch}`, work], env, 'Could not make the .git directory');
    const sources = [
      process.env.GIT_OBJECT_DIRECTORY,
      ...(process.env.GIT_ALTERNATE_OBJECT_DIRECTORIES ?? '').split(':'),
      path.resolve(gitDir ?? process.env.GIT_DIR ?? '.', 'objects'),
    ].filter((dir): dir is string => Boolean(dir) && fs.existsSync(dir!));
    const alternates = path.join(work, '.git', 'objects', 'info', 'alternates');
    fs.writeFileSync(alternates, sources.map((dir) => path.resolve(dir)).join('\n') + '\n');
    git(['update-ref', `refs/heads/${branch}`, rev], env, 'Could not make the .git directory', work);
    git(['repack', '-a', '-d', '-q'], env, 'Could not pack the history', work);
    fs.rmSync(alternates);
    git(['read-tree', 'HEAD'], env, 'Could not make the .git directory', work);
    const tar = spawnSync('tar', ['--append', '-f', tarPath, '-C', work, '.git'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (tar.status !== 0) throw new Error(`Could not add .git to the build: ${tar.stderr.toString().trim()}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
