import { UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import { GLOBAL_SCOPE } from '../state/index.js';

/**
 * Dokku's git:set properties: which branch deploys, the variable that carries the
 * deployed commit, and whether builds get the `.git` directory. Each has a value per app and a global one; the app's own wins.
 */
export const GIT_PROPERTIES = ['deploy-branch', 'rev-env-var', 'keep-git-dir'] as const;
export type GitProperty = (typeof GIT_PROPERTIES)[number];

const key = (property: GitProperty) => `git.${property}`;

/** A branch name git accepts and a person would type: no `..`, no trailing `/` or `.lock`. */
const BRANCH = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function isValid(property: GitProperty, value: string): boolean {
  if (property === 'rev-env-var') return value === '' || ENV_NAME.test(value);
  if (property === 'keep-git-dir') return value === 'true' || value === 'false';
  return (
    BRANCH.test(value) &&
    !value.includes('..') &&
    !value.includes('//') &&
    !value.endsWith('/') &&
    !value.endsWith('.lock')
  );
}

export function ownGitValue(platform: Platform, scope: string, property: GitProperty): string | undefined {
  return platform.state.properties.get(scope, key(property));
}

function computed(platform: Platform, app: string, property: GitProperty, fallback: string): string {
  return ownGitValue(platform, app, property) ?? ownGitValue(platform, GLOBAL_SCOPE, property) ?? fallback;
}

/** The branch whose pushes deploy the app; pushes to others are kept and deploy nothing. */
export const deployBranchOf = (platform: Platform, app: string) =>
  computed(platform, app, 'deploy-branch', platform.settings.defaultBranch);

/** The config variable a deploy from git sets to its commit; '' sets none. */
export const revEnvVarOf = (platform: Platform, app: string) => computed(platform, app, 'rev-env-var', 'GIT_REV');

/** Whether the app's builds get the `.git` directory (for build steps that read the history). */
export const keepsGitDir = (platform: Platform, app: string) =>
  computed(platform, app, 'keep-git-dir', 'false') === 'true';

const INVALID: Record<GitProperty, (value: string) => string> = {
  'deploy-branch': (value) => `Invalid deploy-branch ${value}: give a branch name`,
  'rev-env-var': (value) => `Invalid rev-env-var ${value}: give a variable name, or '' for none`,
  'keep-git-dir': (value) => `Invalid keep-git-dir ${value}: give true or false`,
};

export function setGitProperty(
  platform: Platform,
  scope: string,
  property: GitProperty,
  value: string | undefined,
): void {
  if (value !== undefined && !isValid(property, value)) {
    throw new UserError(INVALID[property](value));
  }
  platform.state.properties.set(scope, key(property), value);
}
