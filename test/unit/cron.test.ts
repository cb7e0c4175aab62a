import { afterAll, describe, expect, test } from 'vitest';
import { cronTaskId, cronTaskSchema, nextRun } from '../../src/model/cron.js';

describe('cron schedules', () => {
  // Files share their worker (vitest.config.ts): the zone set here must not outlive them.
  const zone = process.env.TZ;
  afterAll(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });
  test.each([
    ['@daily', '2026-12-05T00:00:00.000Z'],
    ['@hourly', '2026-12-04T14:00:00.000Z'],
    ['0 1 * * *', '2026-12-05T01:00:00.000Z'],
    ['*/15 * * * *', '2026-12-04T13:15:00.000Z'],
    ['* * * * *', '2026-12-04T13:01:00.000Z'],
  ])('%s is accepted and next runs at %s', (schedule, next) => {
    process.env.TZ = 'UTC';
    expect(cronTaskSchema.safeParse({ command: 'true', schedule }).success).toBe(true);
    expect(nextRun(schedule, new Date('2026-12-04T13:00:00.000Z')).toISOString()).toBe(next);
  });

  test.each(['61 * * * *', '@reboot', 'every day', '* * * * * * *', '*', '* * *', '*'.repeat(1000)])(
    '%s is refused with the reason',
    (schedule) => {
      const parsed = cronTaskSchema.safeParse({ command: 'true', schedule });
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues[0]!.message).toMatch(/^invalid schedule ".*" of task "true": /);
    },
  );

  test.each([
    [
      '* * * * * *',
      'it has a seconds field: a schedule has 5 fields (minute hour day-of-month month day-of-week) and runs at most once a minute',
    ],
    [
      '0 * * * * *',
      'it has a seconds field: a schedule has 5 fields (minute hour day-of-month month day-of-week) and runs at most once a minute',
    ],
    ['@secondly', 'it runs more often than once a minute'],
  ])('%s runs more often than once a minute (or could): refused, naming the task', (schedule, reason) => {
    const parsed = cronTaskSchema.safeParse({ command: 'echo tick', schedule });
    expect(parsed.error!.issues[0]!.message).toBe(`invalid schedule "${schedule}" of task "echo tick": ${reason}`);
  });

  test('a task defaults to never overlapping itself, and keeps its ID while command and schedule stay', () => {
    expect(cronTaskSchema.parse({ command: 'true', schedule: '@daily' })).toEqual({
      command: 'true',
      schedule: '@daily',
      concurrency_policy: 'forbid',
      maintenance: false,
    });
    const id = cronTaskId('app', { command: 'true', schedule: '@daily' });
    expect(id).toMatch(/^[0-9a-z]{1,12}$/);
    expect(cronTaskId('app', { command: 'true', schedule: '@daily' })).toBe(id);
    expect(cronTaskId('app', { command: 'true', schedule: '@hourly' })).not.toBe(id);
    expect(cronTaskId('other', { command: 'true', schedule: '@daily' })).not.toBe(id);
  });
});
