import { expect, test } from 'vitest';
import type { DomainEvent } from '../../src/events/domain.js';
import { slackText } from '../../src/webhooks/body.js';

// A failed daily base backup (point-in-time recovery) is told as backup.failed with no bucket:
// its text says so, without naming an empty one.

test("a failed base backup's text names no bucket; an off-site one's names its bucket", () => {
  const at = { id: 'e1', at: '2026-01-01T00:00:00.000Z' };
  const base: DomainEvent = { ...at, type: 'backup.failed', service: 'postgres db', bucket: '', error: 'disk full' };
  const offsite: DomainEvent = { ...base, bucket: 'nightly' };
  expect(slackText(base)).toBe('Backup of postgres db failed: disk full');
  expect(slackText(offsite)).toBe('Backup of postgres db to nightly failed: disk full');
});
