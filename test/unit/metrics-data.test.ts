import { expect, test } from 'vitest';
import { eventText, metricsColumns } from '../../src/dashboard/client/metrics-data.js';
import type { MetricsPointJson } from '../../src/model/metrics-json.js';

const point = (at: string, requests: number): MetricsPointJson => ({
  at,
  requests,
  status: { '1xx': 0, '2xx': requests - 1, '3xx': 0, '4xx': 0, '5xx': 1 },
  p50_ms: 3,
  p95_ms: null,
  cpu_percent: 12.5,
  memory_bytes: 2 * 1024 * 1024,
});

test('points become uPlot columns in seconds; missing minutes break the line with nulls', () => {
  const columns = metricsColumns([
    point('2026-12-07T10:00:00.000Z', 5),
    point('2026-12-07T10:01:00.000Z', 7),
    point('2026-12-07T10:05:00.000Z', 2), // the daemon was down for three minutes
  ]);
  const t0 = Date.UTC(2026, 11, 7, 10) / 1000;
  expect(columns.time).toEqual([t0, t0 + 60, t0 + 120, t0 + 300]);
  expect(columns.requests).toEqual([5, 7, null, 2]);
  expect(columns.errors).toEqual([1, 1, null, 1]);
  expect(columns.p95).toEqual([null, null, null, null]);
  expect(columns.memoryMib).toEqual([2, 2, null, 2]);
  expect(columns.cpu[0]).toBe(12.5);
});

test('a crash loop reads as one line with its count', () => {
  expect(
    eventText({
      type: 'app.crash_loop',
      id: 'e1',
      at: '2026-12-07T10:00:00.000Z',
      app: 'shop',
      process: 'web',
      crashes: 3,
      window_seconds: 600,
    }),
  ).toBe('web is crash-looping: 3 crashes within 10 minutes');
});
