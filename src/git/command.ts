import { isValidAppName } from '../core/names.js';

export interface GitCommand {
  service: 'git-receive-pack' | 'git-upload-pack';
  app: string;
}

/**
 * Recognises what git runs over SSH: `git-receive-pack 'myapp'` (scp-style remote),
 * `'/myapp'` (ssh:// URL) or `'myapp.git'`, and the `git receive-pack` spelling.
 * Returns undefined for anything else, including invalid app names.
 */
export function parseGitCommand(command: string): GitCommand | undefined {
  const match = /^git[ -](receive|upload)-pack '\/?([^'/]+?)(?:\.git)?\/?'$/.exec(command.trim());
  if (!match || !isValidAppName(match[2]!)) return undefined;
  return { service: `git-${match[1] as 'receive' | 'upload'}-pack`, app: match[2]! };
}

export function isGitCommand(command: string): boolean {
  return /^git[ -](receive|upload)-pack\b/.test(command.trim());
}
