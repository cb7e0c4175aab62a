import type { Job, Queue, Worker } from 'bullmq';
import { lazyPackage } from '../core/lazy.js';
import { z } from 'zod';
import { GIT_REV, isValidAppName } from '../core/names.js';
import { format } from '../core/output.js';
import { redisOptions } from './redis.js';
import { appLockName, type Locks } from './locks.js';
import type { DeployLogs } from './logs.js';

const bullmq = lazyPackage<typeof import('bullmq')>('bullmq');
const QUEUE_NAME = 'deploy';
const LOCK_RETRY_MS = 200;

const jobBase = {
  deployId: z.uuid(),
  app: z.string().refine(isValidAppName),
  requestedBy: z.string(),
};

/**
 * Everything that may change what an app runs is one of these jobs, serialized per app.
 * Jobs carry no config values: the worker reads them from the database, so secrets never
 * sit in Redis.
 */
export const deployJobSchema = z.discriminatedUnion('kind', [
  /** A push: build the commit, then release it. */
  z.object({
    kind: z.literal('git'),
    ...jobBase,
    rev: z.string().regex(GIT_REV),
    tarPath: z.string(),
    hookStartedAt: z.number().int().optional(),
  }),
  /** An image already on the host becomes the next release (git:from-image). */
  z.object({ kind: z.literal('image'), ...jobBase, image: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]{0,254}$/) }),
  /** No build: a new release from the current one with the app's config as it is now. */
  z.object({ kind: z.literal('config'), ...jobBase, description: z.string().max(2000) }),
  /** No build: a new release with an earlier release's image and config. */
  z.object({ kind: z.literal('rollback'), ...jobBase, version: z.number().int().min(1) }),
  /**
   * No new release: the current release again, at the app's current formation. After
   * state:restore ('restore') its image is built again from the app's repository at the
   * release's commit when this host has none.
   */
  z.object({
    kind: z.literal('restart'),
    ...jobBase,
    reason: z.enum(['restart', 'scale', 'reconcile', 'restore']),
  }),
]);

export type DeployJob = z.infer<typeof deployJobSchema>;
export type AfterUnlock = () => Promise<void>;
type QueuedJob = DeployJob & { waitAnnounced?: boolean };

export class DeployQueue {
  private readonly queue: Queue;

  constructor(redisUrl: string, prefix: string) {
    this.queue = new (bullmq().Queue)(QUEUE_NAME, {
      connection: { ...redisOptions(redisUrl), enableOfflineQueue: false, maxRetriesPerRequest: 1 },
      prefix,
    });
  }

  async enqueue(job: DeployJob): Promise<void> {
    const data = deployJobSchema.parse(job);
    await this.queue.add(data.kind, data, {
      jobId: data.deployId,
      attempts: 1,
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
    });
  }

  /** Takes a job that has not started off the queue; false when a worker has it (or it is gone). */
  async discard(deployId: string): Promise<boolean> {
    return (await this.queue.remove(deployId)) === 1;
  }

  /** Jobs by state (waiting, delayed, active), for /metrics. */
  async depth(): Promise<Record<'waiting' | 'delayed' | 'active', number>> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active');
    return { waiting: counts.waiting ?? 0, delayed: counts.delayed ?? 0, active: counts.active ?? 0 };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * Runs deploy jobs: different apps in parallel, one app's jobs strictly one after another.
 * BullMQ OSS has no groups, so a job whose app is busy goes back to the delayed set and frees
 * its slot (a worker that waited for the lock would hold one of its concurrency slots idle);
 * the pusher is told once that it is waiting.
 */
export function startDeployWorker(options: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  locks: Locks;
  logs: DeployLogs;
  /** Runs a job under its app's lock; may return clean-up to run after the lock is released. */
  run: (job: DeployJob) => Promise<AfterUnlock | void>;
}): DeployWorker {
  const running = new Set<Promise<void>>();
  const process = async (job: Job<QueuedJob>, token?: string) => {
    const data = deployJobSchema.parse(job.data);
    const lock = await options.locks.tryAcquire(appLockName(data.app));
    if (!lock) {
      if (!job.data.waitAnnounced) {
        options.logs.append(
          data.deployId,
          format.step(`Waiting for the deploy in progress on ${data.app} to finish...`),
        );
        await job.updateData({ ...job.data, waitAnnounced: true });
      }
      await job.moveToDelayed(Date.now() + LOCK_RETRY_MS, token);
      throw new (bullmq().DelayedError)();
    }
    const deploy = (async () => {
      let afterUnlock: AfterUnlock | void;
      try {
        afterUnlock = await options.run(data);
      } finally {
        await lock.release();
      }
      await afterUnlock?.();
    })();
    running.add(deploy);
    try {
      await deploy;
    } finally {
      running.delete(deploy);
    }
  };
  const worker = new (bullmq().Worker)(QUEUE_NAME, process, {
    connection: redisOptions(options.redisUrl),
    prefix: options.prefix,
    concurrency: options.concurrency,
    // A deploy cut off by a crash must not silently run again: the pusher was already told it failed.
    maxStalledCount: 0,
  });
  return {
    worker,
    deploysDone: async () => {
      while (running.size > 0) await Promise.allSettled(running);
    },
  };
}

export interface DeployWorker {
  worker: Worker;
  /**
   * Resolves once no deploy runs here. BullMQ's close waits for the same, but then for Redis
   * to record the jobs' ends: with Redis gone it waits for ever, though the deploys are over.
   */
  deploysDone(): Promise<void>;
}
