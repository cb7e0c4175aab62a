import { errorMessage } from '../core/errors.js';
import { everyUntilAborted } from '../core/process.js';
import { isStopped } from '../deploy/desired.js';
import { nextRun } from '../model/cron.js';
import type { Platform } from '../platform.js';
import { cronTasks, startCronRun, type AppCronTask } from './index.js';
import type { Log } from '../core/log.js';

/** How often the tasks are read again from the releases (a deploy, rollback or suspend shows up within this). */
const REFRESH_MS = 5_000;
/** Schedules fire on whole minutes; looking every second (a comparison per task) starts runs within a second of theirs. */
const TICK_MS = 1_000;

/**
 * Runs every app's cron tasks on their schedules, in the daemon. Nothing is kept but the
 * releases and the suspensions in the state database, so the schedule survives restarts;
 * runs that fell due while the daemon was down are not made up (as cron).
 */
export function keepCronTime(platform: Platform, log: Log, signal: AbortSignal): void {
  const due = new Map<string, { task: AppCronTask; at: number }>();
  let refreshedAt = 0;
  const tick = () => {
    const now = Date.now();
    if (now - refreshedAt >= REFRESH_MS) {
      refreshedAt = now;
      refresh(platform, due, now, log);
    }
    for (const [key, entry] of due) {
      if (entry.at > now) continue;
      due.set(key, { task: entry.task, at: nextRun(entry.task.schedule, new Date(now)).getTime() });
      if (!entry.task.suspended) void fire(platform, entry.task, log);
    }
  };
  everyUntilAborted(TICK_MS, signal, tick);
  tick();
}

/** Tasks new to the map get their next run; changed ones (a deploy, a suspension) replace theirs; gone ones go. */
function refresh(platform: Platform, due: Map<string, { task: AppCronTask; at: number }>, now: number, log: Log): void {
  const seen = new Set<string>();
  for (const app of platform.state.apps.list()) {
    let tasks: AppCronTask[];
    try {
      tasks = cronTasks(platform, app.name);
    } catch (error) {
      log(`cron: the tasks cannot be read: ${errorMessage(error)}`, { level: 'warn', app: app.name });
      continue;
    }
    for (const task of tasks) {
      const key = `${app.name} ${task.id}`;
      seen.add(key);
      const known = due.get(key);
      due.set(key, { task, at: known?.at ?? nextRun(task.schedule, new Date(now)).getTime() });
    }
  }
  for (const key of due.keys()) if (!seen.has(key)) due.delete(key);
}

async function fire(platform: Platform, task: AppCronTask, log: Log): Promise<void> {
  if (isStopped(platform.state, task.app)) return; // quietly, for as long as it stays stopped (the start checks again)
  try {
    const outcome = await startCronRun(platform, task);
    if ('skipped' in outcome) log(`cron: ${task.id} not started: ${outcome.skipped}`, { app: task.app });
  } catch (error) {
    log(`cron: ${task.id} failed to start: ${errorMessage(error)}`, { level: 'warn', app: task.app });
  }
}
