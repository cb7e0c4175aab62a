import { UserError } from '../core/errors.js';
import { isStopped } from '../deploy/desired.js';
import { currentReleaseOneOff } from '../deploy/release.js';
import { cronTaskId, nextRun, scheduleProblem, type CronTask } from '../model/cron.js';
import { releaseMetaSchema } from '../model/release.js';
import { OneOffRefused, startOneOff } from '../one-offs/index.js';
import type { Platform } from '../platform.js';
import type { Instance, OneOffIo } from '../runtime/scheduler.js';

/** A cron task of an app's current release, as cron:list shows it. */
export interface AppCronTask extends CronTask {
  app: string;
  id: string;
  /**
   * By cron:suspend (the task, or the whole app), or app.json's `maintenance`; or its
   * schedule is one refused now (a seconds field, kept with a release pushed before).
   */
  suspended: boolean;
}

const SUSPENDED_TASKS = 'cron.suspended';
const APP_SUSPENDED = 'cron.maintenance';
/** Finished runs kept per task, for cron:logs. */
const KEPT_RUNS = 5;

export function cronTasks(platform: Platform, app: string): AppCronTask[] {
  const current = platform.state.releases.current(app);
  if (!current) return [];
  const { properties } = platform.state;
  const suspendedIds = new Set(properties.get(app, SUSPENDED_TASKS)?.split(' ') ?? []);
  const appSuspended = properties.get(app, APP_SUSPENDED) === 'true';
  return releaseMetaSchema.parse(current.meta).cron.map((task) => {
    const id = cronTaskId(app, task);
    const suspended =
      appSuspended || task.maintenance || suspendedIds.has(id) || scheduleProblem(task.schedule) !== undefined;
    return { ...task, app, id, suspended };
  });
}

export function cronTask(platform: Platform, app: string, id: string | undefined): AppCronTask {
  if (!id) throw new UserError('Please specify a cron task ID (cron:list shows them)');
  const task = cronTasks(platform, app).find((t) => t.id === id);
  if (!task) throw new UserError(`Invalid cron task ID ${id} for ${app} (cron:list shows them)`);
  return task;
}

export function appCronSuspended(platform: Platform, app: string): boolean {
  return platform.state.properties.get(app, APP_SUSPENDED) === 'true';
}

/** cron:suspend / cron:resume: one task by its ID, or (no ID) every task of the app. */
export function setCronSuspended(platform: Platform, app: string, id: string | undefined, suspended: boolean): void {
  const { properties } = platform.state;
  if (id === undefined) return properties.set(app, APP_SUSPENDED, suspended ? 'true' : undefined);
  cronTask(platform, app, id);
  const ids = new Set(properties.get(app, SUSPENDED_TASKS)?.split(' ') ?? []);
  if (suspended) ids.add(id);
  else ids.delete(id);
  properties.set(app, SUSPENDED_TASKS, ids.size ? [...ids].sort().join(' ') : undefined);
}

/** The app's cron containers (all tasks, or one), running or finished, newest first (ties by name, for a stable order). */
export async function cronRuns(platform: Platform, app: string, id?: string): Promise<Instance[]> {
  return runsOf(await platform.schedulerFor(app).instances(app, { oneOffs: true }), id);
}

function runsOf(instances: Instance[], id?: string): Instance[] {
  const runs = instances.filter(
    (i) => i.oneOff && i.process === 'cron' && (id === undefined || i.name.includes(`.cron.${id}.`)),
  );
  return runs.sort((a, b) => (b.created ?? 0) - (a.created ?? 0) || b.name.localeCompare(a.name));
}

export type CronStart = { started: Instance } | { skipped: string };

/**
 * Starts a run of the task in a new one-off container of the current release, unless the
 * app is stopped, runs its most one-offs already, or the task's concurrency policy says no:
 * `forbid` skips while a run is still going, `replace` stops it. The container is kept after
 * it exits (its output is what cron:logs shows); older runs go.
 */
export async function startCronRun(platform: Platform, task: AppCronTask): Promise<CronStart> {
  const scheduler = platform.schedulerFor(task.app);
  let previous: Instance[] = [];
  try {
    const started = await startOneOff(platform, task.app, {
      async prepare(oneOffs) {
        refuseWhileStopped(platform, task.app);
        previous = runsOf(oneOffs, task.id);
        const running = previous.filter((i) => i.running);
        if (running.length > 0 && task.concurrency_policy === 'forbid')
          throw new OneOffRefused(`its last run (${running[0]!.name}) is still running`);
        if (task.concurrency_policy !== 'replace') return oneOffs;
        await scheduler.retire(running);
        return oneOffs.filter((i) => !running.includes(i));
      },
      start: () => scheduler.runDetached(cronOneOff(platform, task)),
    });
    await scheduler.discard(previous.filter((i) => !i.running).slice(KEPT_RUNS - 1));
    return { started };
  } catch (error) {
    if (error instanceof OneOffRefused) return { skipped: error.message };
    throw error;
  }
}

/** A stopped app runs no cron: ps:stop stops its runs, and none starts until ps:start. */
function refuseWhileStopped(platform: Platform, app: string): void {
  if (isStopped(platform.state, app)) throw new OneOffRefused(`${app} is stopped (ps:start starts it again)`);
}

/** cron:run without --detach: the task's command with its output on the caller's terminal. */
export function runCronAttached(platform: Platform, task: AppCronTask, io: OneOffIo): Promise<number> {
  const scheduler = platform.schedulerFor(task.app);
  return startOneOff(platform, task.app, {
    async prepare(oneOffs) {
      refuseWhileStopped(platform, task.app);
      return oneOffs;
    },
    start: (started) => scheduler.runOnce(cronOneOff(platform, task), io, started),
  });
}

function cronOneOff(platform: Platform, task: AppCronTask) {
  const { procfile: _, ...spec } = currentReleaseOneOff(platform, task.app, task.command, { DYNO: `cron.${task.id}` });
  return { ...spec, process: 'cron' };
}

/** When the task runs next, or undefined while it is suspended. */
export function nextCronRun(task: AppCronTask, now = new Date()): Date | undefined {
  return task.suspended ? undefined : nextRun(task.schedule, now);
}
