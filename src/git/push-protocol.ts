import { z } from 'zod';
import { GIT_REV, isValidAppName } from '../core/names.js';

/** What the pre-receive hook tells the daemon about a push to the deploy branch. */
export const pushRequestSchema = z.object({
  token: z.string().min(1),
  app: z.string().refine(isValidAppName),
  rev: z.string().regex(GIT_REV),
  user: z.string().min(1),
  tarPath: z.string().min(1),
});

export type PushRequest = z.infer<typeof pushRequestSchema>;

/** Daemon to hook: JSON lines, each either a log line or the final exit code. */
export type PushReply = { line: string } | { exit: number };

/** Environment the SSH server gives git-receive-pack, which passes it on to the hook. */
export const HOOK_ENV = {
  socket: 'SLIPWAY_HOOK_SOCKET',
  token: 'SLIPWAY_HOOK_TOKEN',
  app: 'SLIPWAY_APP',
  user: 'SLIPWAY_USER',
  branch: 'SLIPWAY_DEPLOY_BRANCH',
  buildsDir: 'SLIPWAY_BUILDS_DIR',
} as const;
