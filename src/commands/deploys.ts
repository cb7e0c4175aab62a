import { randomUUID } from 'node:crypto';
import { UserError } from '../core/errors.js';
import { requestDeploy } from '../deploy/index.js';
import type { DeployJob } from '../queue/deploy-queue.js';
import type { CommandContext } from './types.js';

type JobRequest = DeployJob extends infer J
  ? J extends DeployJob
    ? Omit<J, 'deployId' | 'requestedBy'>
    : never
  : never;

/**
 * Queues a deploy job for a command and streams its log to the caller, as a push does.
 * The log already says why a deploy failed, so a failure only sets the exit code.
 */
export async function runDeploy(ctx: CommandContext, job: JobRequest): Promise<number> {
  const full = { ...job, deployId: randomUUID(), requestedBy: ctx.caller.name } as DeployJob;
  const result = await requestDeploy(ctx.platform, full, (line) => ctx.out.out(line), ctx.signal);
  if (!result.ok && ctx.signal.aborted) throw new UserError(result.message ?? 'deploy failed');
  return result.ok ? 0 : 1;
}

/** An app is deployed once it has a release serving. */
export function isDeployed(ctx: CommandContext, app: string): boolean {
  return ctx.platform.state.releases.current(app) !== undefined;
}
