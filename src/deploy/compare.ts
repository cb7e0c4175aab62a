import { releaseMetaSchema } from '../model/release.js';
import type { Platform } from '../platform.js';
import type { Instance } from '../runtime/scheduler.js';
import type { ReleaseRecord } from '../state/index.js';
import { processPlan } from './release.js';

/** What runs against what was released: the instances that serve it, the slots nobody fills, and the rest. */
export interface Comparison {
  keep: Instance[];
  missing: string[];
  extra: Instance[];
}

/**
 * Pure: for each process slot of the release (`web.1`, `web.2`, `worker.1`), the first
 * instance of that release that runs or is being restarted by its engine; slots without
 * one are missing; any other instance (an older release, a surplus index, a duplicate,
 * one that exited) is extra.
 */
export function compare(plan: { type: string; count: number }[], release: number, instances: Instance[]): Comparison {
  const keep: Instance[] = [];
  const missing: string[] = [];
  // After a restart deploy of the same release, old and new share release and index until the
  // old ones drain: the newest is the one that stays, whatever order the scheduler lists them in.
  const newestFirst = [...instances].sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
  for (const { type, count } of plan) {
    for (let index = 1; index <= count; index++) {
      const found = newestFirst.find(
        (i) => i.release === release && i.process === type && i.index === index && (i.running || i.restarting),
      );
      if (found) keep.push(found);
      else missing.push(`${type}.${index}`);
    }
  }
  return { keep, missing, extra: instances.filter((i) => !keep.includes(i)) };
}

/**
 * What runs for the app now (or in `listed`, a listing of it already taken), against this
 * release (its current one) and the app's formation.
 */
export async function compareWithRunning(
  platform: Platform,
  app: string,
  release: ReleaseRecord,
  listed?: Instance[],
): Promise<Comparison & { instances: Instance[] }> {
  const instances = listed ?? (await platform.schedulerFor(app).instances(app));
  const plan = processPlan(platform.state.apps.get(app)!.formation, releaseMetaSchema.parse(release.meta));
  return { instances, ...compare(plan, release.version, instances) };
}
