import { z } from 'zod';
import { GIT_REV, isValidAppName } from '../core/names.js';
import type { PushRequest } from './hook-env.js';

export { HOOK_ENV, type PushReply, type PushRequest } from './hook-env.js';

/** The daemon checks what the hook says about a push before anything else. */
export const pushRequestSchema = z.object({
  token: z.string().min(1),
  app: z.string().refine(isValidAppName),
  rev: z.string().regex(GIT_REV),
  user: z.string().min(1),
  tarPath: z.string().min(1),
  hookStartedAt: z.number().int().positive().optional(),
}) satisfies z.ZodType<PushRequest>;
