import { createHash } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

/** Longer schedules are refused before they are parsed: no input costs more than linear time. */
const MAX_SCHEDULE = 100;

/** A schedule's fields, as cron's: minute, hour, day of month, month, day of week. */
const FIELDS = 5;

/**
 * Whether a schedule is one the clock runs: 5 fields, as cron's and Dokku's, or a macro like
 * @daily. Nothing runs more often than once a minute, as with cron and Kubernetes CronJobs:
 * a seconds field is refused, and so is a macro that stands for one (`@secondly`).
 */
export function scheduleProblem(schedule: string): string | undefined {
  if (schedule.length > MAX_SCHEDULE) return `longer than ${MAX_SCHEDULE} characters`;
  const fields = schedule.trim().split(/\s+/).length;
  if (!schedule.startsWith('@') && fields !== FIELDS) {
    const found = fields === FIELDS + 1 ? 'a seconds field' : `${fields} field${fields === 1 ? '' : 's'}`;
    return `it has ${found}: a schedule has 5 fields (minute hour day-of-month month day-of-week) and runs at most once a minute`;
  }
  try {
    if (CronExpressionParser.parse(schedule).fields.second.values.length > 1)
      return 'it runs more often than once a minute';
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The next time after `after` that the schedule fires, in the host's time zone (as cron). */
export function nextRun(schedule: string, after: Date): Date {
  return CronExpressionParser.parse(schedule, { currentDate: after }).next().toDate();
}

const cronTaskFields = z.object({
  command: z.string().min(1).max(10_000),
  schedule: z.string().trim().min(1),
  concurrency_policy: z.enum(['allow', 'forbid', 'replace']).default('forbid'),
  maintenance: z.boolean().default(false),
});

/**
 * One app.json cron task, Dokku's format. `concurrency_policy` says what happens when the
 * task is due while its last run still runs: `forbid` (the default here: a task never runs
 * twice at once), `allow`, or `replace` (the running one is stopped).
 */
export const cronTaskSchema = cronTaskFields.superRefine((task, ctx) => {
  const problem = scheduleProblem(task.schedule);
  if (problem)
    ctx.addIssue({
      code: 'custom',
      path: ['schedule'],
      message: `invalid schedule "${task.schedule.slice(0, MAX_SCHEDULE)}" of task "${task.command.slice(0, 100)}": ${problem}`,
    });
});

/**
 * A task as kept with a release. Its schedule was checked when it was pushed, by the rules
 * of that day: the clock checks it again (a release from before the seconds field was
 * refused keeps its tasks, which do not run).
 */
export const storedCronTaskSchema = cronTaskFields;
export type CronTask = z.infer<typeof cronTaskSchema>;

/** A task's id, stable across deploys while its command and schedule stay the same. */
export function cronTaskId(app: string, task: Pick<CronTask, 'command' | 'schedule'>): string {
  const digest = createHash('md5').update(`${app}===${task.command}===${task.schedule}`).digest('hex');
  return BigInt(`0x${digest}`).toString(36).slice(0, 12);
}
