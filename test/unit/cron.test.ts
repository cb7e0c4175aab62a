import { describe, expect, test } from 'vitest';
import { cronTaskId, cronTaskSchema, nextRun } from '../../src/model/cron.js';

describe('cron schedules', () => {
  test.each([
    ['@daily', '2026-12-05T00:00:00.000Z'],
    ['0 1 * * *', '2026-12-05T01:00:00.000Z'],
    ['*/15 * * * *', '2026-12-04T13:15:00.000Z'],
    ['*/2 * * * * *', '2026-12-04T13:00:02.000Z'],
  ])('%s next runs at %s', (schedule, next) => {
    process.env.TZ = 'UTC';
    expect(nextRun(schedule, new Date('2026-12-04T13:00:00.000Z')).toISOString()).toBe(next);
  });

  test.each(['61 * * * *', '@reboot', 'every day', '* * * * * * *', '*'.repeat(1000)])('%s is refused with the reason', (schedule) => {
    const parsed = cronTaskSchema.safeParse({ command: 'true', schedule });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toMatch(/^invalid schedule "/);
  });

  test('a task defaults to never overlapping itself, and keeps its ID while command and schedule stay', () => {
    expect(cronTaskSchema.parse({ command: 'true', schedule: '@daily' })).toEqual({ command: 'true', schedule: '@daily', concurrency_policy: 'forbid', maintenance: false });
    const id = cronTaskId('app', { command: 'true', schedule: '@daily' });
    expect(id).toMatch(/^[0-9a-z]{1,12}$/);
    expect(cronTaskId('app', { command: 'true', schedule: '@daily' })).toBe(id);
    expect(cronTaskId('app', { command: 'true', schedule: '@hourly' })).not.toBe(id);
    expect(cronTaskId('other', { command: 'true', schedule: '@daily' })).not.toBe(id);
  });
});
