import { LATENCY_BUCKETS, type AppTraffic } from '../proxy/traffic.js';

/** A day of minutes: what each app's ring holds. */
export const HISTORY_MINUTES = 1440;
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
type StatusClass = (typeof STATUS_CLASSES)[number];
/** The numbers kept per minute, in this order; a number not known (no request, no container) is NaN. */
const FIELDS = [...STATUS_CLASSES, 'p50', 'p95', 'cpu', 'memory'] as const;
const at = (field: (typeof FIELDS)[number]) => FIELDS.indexOf(field);

/** One minute of an app, as the API answers it. */
export interface MinutePoint {
  /** The minute's start, in milliseconds since the epoch. */
  minute: number;
  requests: number;
  status: Record<StatusClass, number>;
  /** Latency percentiles in milliseconds, estimated from the histogram's buckets; null without requests. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** CPU of all the app's containers, 100 being one CPU; null when none was measured. */
  cpuPercent: number | null;
  memoryBytes: number | null;
}

/**
 * A fixed ring of per-minute numbers for one app: a day of minutes in two typed arrays
 * allocated once (about 58 KiB), the slot of a minute being its number modulo the ring's
 * size, so memory never grows however long the daemon runs.
 */
export class MinuteRing {
  /** The minute number (minutes since the epoch) each slot holds; 0 for none yet. */
  private readonly minutes = new Int32Array(HISTORY_MINUTES);
  private readonly values = new Float32Array(HISTORY_MINUTES * FIELDS.length);
  private latest = 0;

  /** Writes (or writes again, as the minute goes on) the numbers of minute `minute`. */
  set(minute: number, numbers: Float32Array | number[]): void {
    const slot = minute % HISTORY_MINUTES;
    this.minutes[slot] = minute;
    this.values.set(numbers, slot * FIELDS.length);
    this.latest = Math.max(this.latest, minute);
  }

  /** The minutes kept from `sinceMinute` on, oldest first: at most a day before the latest one. */
  since(sinceMinute: number): MinutePoint[] {
    const points: MinutePoint[] = [];
    const oldest = Math.max(sinceMinute, this.latest - HISTORY_MINUTES + 1);
    for (let minute = oldest; minute <= this.latest; minute++) {
      const slot = minute % HISTORY_MINUTES;
      if (this.minutes[slot] === minute) points.push(this.point(minute, slot * FIELDS.length));
    }
    return points;
  }

  private point(minute: number, offset: number): MinutePoint {
    const value = (field: (typeof FIELDS)[number]) => this.values[offset + at(field)]!;
    const known = (field: (typeof FIELDS)[number]) => (Number.isNaN(value(field)) ? null : value(field));
    const status = Object.fromEntries(STATUS_CLASSES.map((c) => [c, value(c)])) as Record<StatusClass, number>;
    return {
      minute: minute * 60_000,
      requests: STATUS_CLASSES.reduce((sum, c) => sum + status[c], 0),
      status,
      p50Ms: known('p50'),
      p95Ms: known('p95'),
      cpuPercent: known('cpu'),
      memoryBytes: known('memory'),
    };
  }
}

/**
 * Pure: the `q` quantile (0..1) of requests counted per latency bucket (not cumulative, in
 * LATENCY_BUCKETS' order), in seconds, as Prometheus's histogram_quantile estimates it: linear
 * within the bucket the rank falls in; in the `+Inf` bucket, the largest finite bound. NaN
 * for no requests.
 */
export function quantileFromBuckets(q: number, counts: readonly number[], bounds = LATENCY_BUCKETS): number {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return NaN;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const count = counts[i] ?? 0;
    if (count > 0 && below + count >= rank) {
      if (bounds[i] === '+Inf') return Number(bounds[i - 1] ?? 0);
      const lower = i === 0 ? 0 : Number(bounds[i - 1]);
      return lower + (Number(bounds[i]) - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return Number(bounds.at(-2) ?? 0);
}

/** What one sampling saw: nginx's counters (since its master started) and each running container's usage now. */
export interface Reading {
  /** When, in milliseconds since the epoch. */
  at: number;
  traffic: AppTraffic[];
  containers: { app: string; id: string; cpuSecondsTotal: number; memoryBytes: number }[];
}

/** The minute being filled for an app: what its samples added up to so far. */
interface OpenMinute {
  minute: number;
  status: number[];
  buckets: number[];
  cpuSeconds: number;
  cpuElapsed: number;
  memory: number;
}

/**
 * Every app's last day, minute by minute, from readings taken by the daemon's loop: each
 * reading's counters less the previous reading's are what happened between them, added to
 * the minute the interval mostly fell in. Kept in memory only: a daemon restart starts an
 * empty history (its first reading is only a baseline).
 */
export class MetricsHistory {
  private readonly rings = new Map<string, MinuteRing>();
  private readonly open = new Map<string, OpenMinute>();
  private previous?: { at: number; traffic: Map<string, AppTraffic>; cpu: Map<string, number> };

  record(reading: Reading): void {
    const before = this.previous;
    const traffic = new Map(reading.traffic.map((t) => [t.app, t]));
    const cpu = new Map(reading.containers.map((c) => [c.id, c.cpuSecondsTotal]));
    this.previous = { at: reading.at, traffic, cpu };
    if (!before || reading.at <= before.at) return;
    const minute = Math.floor((before.at + reading.at) / 2 / 60_000);
    const elapsed = (reading.at - before.at) / 1000;
    const apps = new Set([...traffic.keys(), ...reading.containers.map((c) => c.app)]);
    for (const app of apps) {
      const containers = reading.containers.filter((c) => c.app === app);
      const open = this.openMinute(app, minute);
      const now = traffic.get(app);
      const then = before.traffic.get(app);
      STATUS_CLASSES.forEach((c, i) => (open.status[i]! += increase(now?.byStatus[c], then?.byStatus[c])));
      LATENCY_BUCKETS.forEach((b, i) => (open.buckets[i]! += increase(now?.byBucket[b], then?.byBucket[b])));
      // A container started since the previous reading has no baseline: its CPU counts from the next one.
      const measured = containers.filter((c) => before.cpu.has(c.id));
      if (measured.length > 0) {
        open.cpuSeconds += measured.reduce((sum, c) => sum + increase(c.cpuSecondsTotal, before.cpu.get(c.id)), 0);
        open.cpuElapsed += elapsed;
      }
      open.memory = containers.length > 0 ? containers.reduce((sum, c) => sum + c.memoryBytes, 0) : NaN;
      this.ringOf(app).set(minute, numbersOf(open));
    }
  }

  /** The app's minutes from `sinceMs` on, oldest first (none for an app never sampled). */
  points(app: string, sinceMs: number): MinutePoint[] {
    return this.rings.get(app)?.since(Math.floor(sinceMs / 60_000)) ?? [];
  }

  /** Forgets an app (destroyed or renamed): its ring's memory goes with it. */
  forget(app: string): void {
    this.rings.delete(app);
    this.open.delete(app);
  }

  /** Forgets every app not in `apps`. */
  keepOnly(apps: Set<string>): void {
    for (const app of this.rings.keys()) if (!apps.has(app)) this.forget(app);
  }

  private ringOf(app: string): MinuteRing {
    let ring = this.rings.get(app);
    if (!ring) this.rings.set(app, (ring = new MinuteRing()));
    return ring;
  }

  private openMinute(app: string, minute: number): OpenMinute {
    const open = this.open.get(app);
    if (open?.minute === minute) return open;
    const fresh: OpenMinute = {
      minute,
      status: STATUS_CLASSES.map(() => 0),
      buckets: LATENCY_BUCKETS.map(() => 0),
      cpuSeconds: 0,
      cpuElapsed: 0,
      memory: NaN,
    };
    this.open.set(app, fresh);
    return fresh;
  }
}

/** How much a counter grew; one that went down started again (nginx or the container restarted) and grew by all it has. */
function increase(now: number | undefined, then: number | undefined): number {
  if (now === undefined) return 0;
  return then === undefined || now < then ? now : now - then;
}

function numbersOf(open: OpenMinute): number[] {
  const ms = (q: number) => quantileFromBuckets(q, open.buckets) * 1000;
  return [
    ...open.status,
    ms(0.5),
    ms(0.95),
    open.cpuElapsed > 0 ? (open.cpuSeconds / open.cpuElapsed) * 100 : NaN,
    open.memory,
  ];
}
