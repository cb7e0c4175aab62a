import { createHash } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

/** Longer schedules are refused before they are parsed: no input costs more than linear time. */
const MAX_SCHEDULE = 100;

/** Whether a schedule is one cron can run: 5 fields (or 6, seconds first), or an alias like @daily. */
export function scheduleProblem(schedule: string): string | undefined {
  if (schedule.length > MAX_SCHEDULE) return `longer than ${MAX_SCHEDULE} characters`;
  try {
    CronExpressionParser.parse(schedule);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The next time after `after` that the schedule fires, in the host's time zone (as cron). */
export function nextRun(schedule: string, after: Date): Date {
  return CronExpressionParser.parse(schedule, { currentDate: after }).next().toDate();
}

/**
 * One app.json cron task, Dokku's format. `concurrency_policy` says what happens when the
 * task is due while its last run still runs: `forbid` (the default here: a task never runs
 * twice at once), `allow`, or `replace` (the running one is stopped).
 */
export const cronTaskSchema = z
  .object({
    command: z.string().min(1).max(10_000),
    schedule: z.string().trim().min(1),
    concurrency_policy: z.enum(['allow', 'forbid', 'replace']).default('forbid'),
    maintenance: z.boolean().default(false),
  })
  .superRefine((task, ctx) => {
    const problem = scheduleProblem(task.schedule);
    if (problem) ctx.addIssue({ code: 'custom', path: ['schedule'], message: `invalid schedule "${task.schedule.slice(0, MAX_SCHEDULE)}": ${problem}` });
  });
export type CronTask = z.infer<typeof cronTaskSchema>;

/** A task's id, stable across deploys while its command and schedule stay the same. */
export function cronTaskId(app: string, task: Pick<CronTask, 'command' | 'schedule'>): string {
  const digest = createHash('md5').update(`${app}===${task.command}===${task.schedule}`).digest('hex');
  return BigInt(`0x${digest}`).toString(36).slice(0, 12);
}
