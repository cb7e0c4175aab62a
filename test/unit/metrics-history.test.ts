import { expect, test } from 'vitest';
import { HISTORY_MINUTES, MetricsHistory, MinuteRing, quantileFromBuckets } from '../../src/history/minutes.js';
import { LATENCY_BUCKETS, type AppTraffic } from '../../src/proxy/traffic.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const counts = (byBound: Record<string, number>) => LATENCY_BUCKETS.map((b) => byBound[b] ?? 0);

test('a quantile is interpolated inside the bucket its rank falls in, as Prometheus does', () => {
  // 10 requests: 5 under 5 ms, 5 between 50 and 100 ms.
  const buckets = counts({ '0.005': 5, '0.1': 5 });
  expect(quantileFromBuckets(0.5, buckets)).toBeCloseTo(0.005);
  expect(quantileFromBuckets(0.95, buckets)).toBeCloseTo(0.05 + 0.05 * (4.5 / 5));
  expect(quantileFromBuckets(0.25, buckets)).toBeCloseTo(0.0025);
});

test('a quantile in the +Inf bucket is the largest finite bound; no requests have none', () => {
  expect(quantileFromBuckets(0.95, counts({ '0.01': 1, '+Inf': 19 }))).toBe(10);
  expect(quantileFromBuckets(0.5, counts({}))).toBeNaN();
});

const numbers = (requests2xx: number) => [0, requests2xx, 0, 0, 0, 1, 2, 3, 4];

test('a ring keeps a day of minutes in fixed slots: the oldest are overwritten, never grown', () => {
  const ring = new MinuteRing();
  const first = T0 / MINUTE;
  for (let m = 0; m < HISTORY_MINUTES + 10; m++) ring.set(first + m, numbers(m));
  const points = ring.since(0);
  expect(points).toHaveLength(HISTORY_MINUTES);
  expect(points[0]!.minute).toBe((first + 10) * MINUTE);
  expect(points.at(-1)!.requests).toBe(HISTORY_MINUTES + 9);
  expect(points.map((p) => p.minute)).toEqual([...points.map((p) => p.minute)].sort((a, b) => a - b));
  expect(ring.since(first + HISTORY_MINUTES + 8)).toHaveLength(2);
});

test('a ring leaves out minutes never written, and stale slots from over a day before the latest', () => {
  const ring = new MinuteRing();
  const first = T0 / MINUTE;
  ring.set(first, numbers(1));
  ring.set(first + 5, numbers(2));
  expect(ring.since(0).map((p) => p.requests)).toEqual([1, 2]);
  ring.set(first + HISTORY_MINUTES + 2, numbers(3)); // the daemon skipped a day: minute `first` is too old now
  expect(ring.since(0).map((p) => p.requests)).toEqual([2, 3]);
});

const traffic = (app: string, ok: number, slow = 0): AppTraffic => ({
  app,
  byStatus: { '2xx': ok, '5xx': slow },
  byBucket: { '0.005': ok, '1': slow },
  seconds: 0,
  lastAt: undefined,
});

test('history: the first reading is a baseline; then each interval’s increase lands in its minute', () => {
  const history = new MetricsHistory();
  history.record({ at: T0, traffic: [traffic('shop', 100)], containers: [] });
  history.record({
    at: T0 + MINUTE,
    traffic: [traffic('shop', 130, 2)],
    containers: [{ app: 'shop', id: 'c1', cpuSecondsTotal: 5, memoryBytes: 1000 }],
  });
  history.record({
    at: T0 + 2 * MINUTE,
    traffic: [traffic('shop', 130, 2)],
    containers: [{ app: 'shop', id: 'c1', cpuSecondsTotal: 35, memoryBytes: 3000 }],
  });
  const [first, second] = history.points('shop', 0);
  expect(first).toMatchObject({ minute: T0, requests: 32, status: { '2xx': 30, '5xx': 2 }, memoryBytes: 1000 });
  expect(first!.p50Ms).toBeCloseTo((16 / 30) * 5, 3); // rank 16 of 32, the first 30 under 5 ms
  expect(first!.p95Ms).toBeGreaterThan(500);
  expect(first!.cpuPercent).toBeNull(); // c1 had no baseline yet
  expect(second).toMatchObject({ minute: T0 + MINUTE, requests: 0, p50Ms: null, memoryBytes: 3000 });
  expect(second!.cpuPercent).toBeCloseTo(50); // 30 CPU seconds in 60
});

test('history: readings within one minute add up in it; a counter that went down started again', () => {
  const history = new MetricsHistory();
  history.record({ at: T0, traffic: [traffic('shop', 10)], containers: [] });
  history.record({ at: T0 + 10_000, traffic: [traffic('shop', 15)], containers: [] });
  history.record({ at: T0 + 20_000, traffic: [traffic('shop', 4)], containers: [] }); // nginx restarted
  expect(history.points('shop', 0)).toMatchObject([{ minute: T0, requests: 9 }]);
});

test('history: a forgotten app’s minutes go; keepOnly forgets every other app', () => {
  const history = new MetricsHistory();
  history.record({ at: T0, traffic: [], containers: [] });
  history.record({ at: T0 + MINUTE, traffic: [traffic('shop', 1), traffic('blog', 1)], containers: [] });
  history.keepOnly(new Set(['blog']));
  expect(history.points('shop', 0)).toEqual([]);
  expect(history.points('blog', 0)).toHaveLength(1);
});
