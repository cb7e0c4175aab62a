import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * Writes a commit's tree as a tar into the builds directory and returns its path.
 * Dependency-free, because the pre-receive hook uses it on every push.
 * Inside the hook, git's quarantine environment makes the pushed objects visible.
 */
export function archiveCommit(options: { gitDir?: string; rev: string; buildsDir: string; app: string }): string {
  const tarPath = path.join(options.buildsDir, `${options.app}-${options.rev.slice(0, 12)}-${randomBytes(4).toString('hex')}.tar`);
  const gitDir = options.gitDir ? ['--git-dir', options.gitDir] : [];
  const result = spawnSync('git', [...gitDir, 'archive', '--format=tar', '-o', tarPath, options.rev], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (result.status !== 0) throw new Error(`Could not read commit ${options.rev}: ${result.stderr?.toString().trim()}`);
  return tarPath;
}
