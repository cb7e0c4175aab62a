/**
 * What the SSH server gives git-receive-pack, which passes it on to the pre-receive hook,
 * and the hook's side of its conversation with the daemon. No imports: the hook loads this
 * on every push.
 */
export const HOOK_ENV = {
  socket: 'SLIPWAY_HOOK_SOCKET',
  token: 'SLIPWAY_HOOK_TOKEN',
  app: 'SLIPWAY_APP',
  user: 'SLIPWAY_USER',
  branch: 'SLIPWAY_DEPLOY_BRANCH',
  buildsDir: 'SLIPWAY_BUILDS_DIR',
  /** 'true' when builds get the .git directory (git:set keep-git-dir). */
  keepGitDir: 'SLIPWAY_KEEP_GIT_DIR',
} as const;

/** Hook to daemon: a push to the deploy branch, archived. */
export interface PushRequest {
  token: string;
  app: string;
  rev: string;
  user: string;
  tarPath: string;
  /** When the hook started (epoch ms): the deploy's timings begin there. */
  hookStartedAt?: number;
}

/** Daemon to hook: JSON lines, each either a log line or the final exit code. */
export type PushReply = { line: string } | { exit: number };
