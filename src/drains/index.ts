import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import { readIfExists, replaceFile } from '../core/files.js';
import type { Log } from '../core/log.js';
import { everyUntilAborted, sleep } from '../core/process.js';
import type { Platform } from '../platform.js';
import type { Instance } from '../runtime/scheduler.js';
import { DrainBuffer, type Batch, type DrainCounts } from './buffer.js';
import {
  dockerSince,
  instantOfMs,
  MAX_MESSAGE_CHARS,
  parseDockerLine,
  PositionFilter,
  type DrainRecord,
  type LogPosition,
} from './records.js';
import { allDrains, drainsFor, type Drain } from './store.js';
import { transportFor, type Transport } from './targets.js';

export { addDrain, allDrains, drainsFor, drainsOf, removeDrain, type Drain } from './store.js';
export { checkDrainUrl } from './targets.js';

/** How often the drains and the containers to read are looked at again. */
const SCAN_MS = 2000;
/** How often what was taken from each container is saved (and the buffers' counts with it). */
const SAVE_MS = 500;
const BATCH_BYTES = 512 * 1024;
/** The router lines taken from nginx per app and scan (nginx keeps up to 20,000 waiting per app). */
const ROUTER_LINES_PER_SCAN = 10_000;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;
/**
 * Syslog over TCP confirms nothing: a server that stops with lines in its socket it has not
 * read loses them, and says so only by ending the connection. Lines count as delivered once
 * their connection outlived them by this long; when it ends sooner they are sent again.
 */
const SETTLE_MS = 1000;

/** The counts a drain saved last: what `drains:list` shows. */
export function drainCounts(platform: Platform, drain: Drain): DrainCounts {
  const saved = DrainBuffer.readState(path.join(platform.settings.logDrains.dir, drain.id));
  return saved ?? { delivered: 0, dropped: 0, buffered: 0 };
}

/**
 * Keeps every drain fed, until `signal` aborts: the output of each container of an app with a
 * drain (its own or a global one) is read from where it was last taken (Docker's `since`, a
 * position saved per container), appended to each drain's buffer on disk, and delivered
 * from there by one sender per drain. Reading and sending are apart: a slow or absent drain
 * only fills its own buffer, never holds up the app, a deploy or another drain. Drains added
 * with --router also get the router's access log of their apps, taken from nginx (which
 * keeps it while the daemon is away) at each scan.
 */
export function keepDraining(platform: Platform, log: Log, signal: AbortSignal): void {
  const drainer = new Drainer(platform, log, signal);
  const scan = () => drainer.scan().catch((error) => log(`log drains: ${errorMessage(error)}`, { level: 'warn' }));
  void scan();
  everyUntilAborted(SCAN_MS, signal, () => void scan());
  everyUntilAborted(SAVE_MS, signal, () => drainer.save());
  signal.addEventListener('abort', () => drainer.stop(), { once: true });
}

interface Follower {
  instance: Instance;
  stop: AbortController;
  ended: boolean;
}

class Drainer {
  private readonly senders = new Map<string, Sender>();
  private readonly followers = new Map<string, Follower>();
  /** Containers read to their end while stopped: read again only once they run again. */
  private readonly finished = new Set<string>();
  private readonly positions: Map<string, LogPosition>;
  private readonly positionsFile: string;
  private drains: Drain[] = [];
  private positionsChanged = false;
  private scanning = false;

  constructor(
    private readonly platform: Platform,
    private readonly log: Log,
    private readonly signal: AbortSignal,
  ) {
    const dir = platform.settings.logDrains.dir;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.positionsFile = path.join(dir, 'positions.json');
    this.positions = new Map(Object.entries(readPositions(this.positionsFile)));
  }

  async scan(): Promise<void> {
    if (this.scanning || this.signal.aborted) return;
    this.scanning = true;
    try {
      this.drains = allDrains(this.platform.state);
      this.keepSenders();
      await this.keepFollowers();
      await this.takeRouterLines();
    } finally {
      this.scanning = false;
    }
  }

  save(): void {
    if (this.positionsChanged) {
      this.positionsChanged = false;
      replaceFile(this.positionsFile, JSON.stringify(Object.fromEntries(this.positions)));
    }
    for (const sender of this.senders.values()) sender.saveCounts();
  }

  stop(): void {
    for (const follower of this.followers.values()) follower.stop.abort();
    this.save();
    for (const sender of this.senders.values()) sender.stop();
  }

  /** One sender per drain; a removed drain's sender stops and its buffer goes. */
  private keepSenders(): void {
    const wanted = new Set(this.drains.map((d) => d.id));
    for (const [id, sender] of this.senders) {
      if (wanted.has(id)) continue;
      sender.stop();
      this.senders.delete(id);
      fs.rmSync(path.join(this.platform.settings.logDrains.dir, id), { recursive: true, force: true });
    }
    for (const drain of this.drains) {
      if (!this.senders.has(drain.id)) this.senders.set(drain.id, new Sender(drain, this.platform, this.log));
    }
  }

  /**
   * Each container of an app with drains is read, once at a time; what is gone is forgotten.
   * One listing for all the apps (a global drain covers every app: a thousand on a big host);
   * when it fails, nothing changes until the next scan.
   */
  private async keepFollowers(): Promise<void> {
    const hasGlobal = this.drains.some((d) => d.app === undefined);
    const apps = hasGlobal
      ? this.platform.state.apps.list().map((a) => a.name)
      : [...new Set(this.drains.flatMap((d) => d.app ?? []))];
    let listed: Map<string, Instance[]>;
    try {
      listed = await this.platform.instancesOfApps(apps, { oneOffs: true });
    } catch (error) {
      this.log(`log drains: listing the apps' containers failed: ${errorMessage(error)}`, { level: 'warn' });
      return;
    }
    const seen = new Set<string>();
    for (const [app, instances] of listed) {
      for (const instance of instances) {
        seen.add(instance.id);
        this.follow(app, instance);
      }
    }
    for (const [id, follower] of this.followers) {
      if (seen.has(id)) continue;
      follower.stop.abort();
      this.followers.delete(id);
    }
    for (const id of this.finished) if (!seen.has(id)) this.finished.delete(id);
    for (const id of this.positions.keys()) {
      if (!seen.has(id)) {
        this.positions.delete(id);
        this.positionsChanged = true;
      }
    }
  }

  private follow(app: string, instance: Instance): void {
    const current = this.followers.get(instance.id);
    if (current && !current.ended) return;
    if (instance.running) this.finished.delete(instance.id);
    else if (this.finished.has(instance.id)) return;
    const follower: Follower = { instance, stop: new AbortController(), ended: false };
    this.followers.set(instance.id, follower);
    const filter = new PositionFilter(this.positions.get(instance.id));
    const since = this.positions.get(instance.id)?.instant ?? this.firstInstant(app);
    let pending: DrainRecord[] = [];
    const flush = () => {
      const records = pending;
      pending = [];
      if (records.length === 0) return;
      this.deliver(app, records);
      const position = filter.current;
      if (position) {
        this.positions.set(instance.id, position);
        this.positionsChanged = true;
      }
    };
    const onLine = (line: string) => {
      const parsed = parseDockerLine(line);
      if (!parsed || !filter.take(parsed.instant)) return;
      if (pending.length === 0) setImmediate(flush);
      pending.push({
        time: parsed.time,
        app,
        process: instance.process,
        index: instance.index,
        release: instance.release,
        message: parsed.text.slice(0, MAX_MESSAGE_CHARS),
      });
    };
    const stopped = !instance.running;
    this.platform
      .schedulerFor(app)
      .logs(instance, { tail: 'all', since: dockerSince(since), follow: true, onLine, signal: follower.stop.signal })
      .catch((error) => {
        if (!follower.stop.signal.aborted)
          this.log(`log drains: reading ${instance.name} stopped: ${errorMessage(error)}`, { level: 'debug', app });
      })
      .finally(() => {
        flush();
        follower.ended = true;
        if (stopped) this.finished.add(instance.id);
      });
  }

  /** The router's lines of each app with a router drain (its own or a global one), to those drains. */
  private async takeRouterLines(): Promise<void> {
    const drains = this.drains.filter((d) => d.router);
    if (drains.length === 0) return;
    const apps = drains.some((d) => d.app === undefined)
      ? this.platform.state.apps.list().map((a) => a.name)
      : [...new Set(drains.flatMap((d) => d.app ?? []))];
    const nginx = this.platform.nginx;
    for (const app of apps) {
      const { dropped, lines } = await nginx.routerLog(app, ROUTER_LINES_PER_SCAN);
      if (lines.length === 0 && dropped === 0) continue;
      const release = this.platform.state.releases.current(app)?.version ?? 0;
      const records = lines.map((line): DrainRecord => ({
        time: line.time,
        app,
        process: 'router',
        index: 0,
        release,
        message: line.message,
      }));
      for (const drain of drains) {
        if (drain.app !== undefined && drain.app !== app) continue;
        this.senders.get(drain.id)?.take(records, dropped);
      }
    }
  }

  /** Lines are taken from when the app's first drain was added: none of what came before. */
  private firstInstant(app: string): string {
    const added = drainsFor(this.platform.state, app).map((d) => d.createdAt);
    return instantOfMs(added.length ? Math.min(...added) : Date.now());
  }

  private deliver(app: string, records: DrainRecord[]): void {
    for (const drain of this.drains) {
      if (drain.app !== undefined && drain.app !== app) continue;
      try {
        this.senders.get(drain.id)?.take(records);
      } catch (error) {
        this.log(`log drains: buffering for ${drain.url} failed: ${errorMessage(error)}`, { level: 'error', app });
      }
    }
  }
}

function readPositions(file: string): Record<string, LogPosition> {
  try {
    return JSON.parse(readIfExists(file) ?? '{}') as Record<string, LogPosition>;
  } catch {
    return {};
  }
}

/** One drain: its buffer on disk, and a loop that delivers from it, retrying with backoff. */
class Sender {
  private readonly buffer: DrainBuffer;
  private readonly transport: Transport;
  private readonly running = new AbortController();
  private wake: (() => void) | undefined;
  private countsChanged = false;
  /** Sent on a connection that confirms nothing, not yet counted as delivered, oldest first. */
  private inFlight: { batch: Batch; connection: number | undefined; at: number }[] = [];

  constructor(
    private readonly drain: Drain,
    platform: Platform,
    private readonly log: Log,
  ) {
    const settings = platform.settings.logDrains;
    this.buffer = new DrainBuffer(path.join(settings.dir, drain.id), settings.bufferBytes);
    this.transport = transportFor({ url: drain.url, confined: drain.confined, extraCaFile: settings.extraCaFile });
    void this.deliverForever();
  }

  /** Buffers records; `droppedBefore` counts lines lost on their way here. */
  take(records: DrainRecord[], droppedBefore = 0): void {
    if (droppedBefore > 0) this.buffer.droppedBefore(droppedBefore);
    this.buffer.append(records);
    this.countsChanged = true;
    this.wake?.();
  }

  saveCounts(): void {
    if (!this.countsChanged) return;
    this.countsChanged = false;
    this.buffer.save();
  }

  stop(): void {
    this.running.abort();
    this.wake?.();
    this.transport.close();
    this.buffer.close();
  }

  private async deliverForever(): Promise<void> {
    let retryMs = RETRY_FIRST_MS;
    while (!this.running.signal.aborted) {
      this.settle();
      const batch = this.buffer.peek(BATCH_BYTES);
      if (!batch) {
        await this.pause(this.inFlight.length ? SETTLE_MS / 4 : SCAN_MS);
        continue;
      }
      try {
        await this.transport.send(batch.records);
        if (this.transport.confirms) this.buffer.delivered(batch);
        else {
          this.buffer.sent(batch);
          this.inFlight.push({ batch, connection: this.transport.connection(), at: Date.now() });
        }
        retryMs = RETRY_FIRST_MS;
      } catch (error) {
        if (this.stopped()) return; // the drain went while a batch was on its way
        this.resendInFlight();
        this.transport.close();
        this.buffer.failed(errorMessage(error));
        this.log(`log drain ${this.drain.url}: ${errorMessage(error)} (retrying in ${retryMs / 1000} s)`, {
          level: 'warn',
          ...(this.drain.app ? { app: this.drain.app } : {}),
        });
        await sleep(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }

  /** Batches whose connection outlived them by SETTLE_MS are delivered; when it ended sooner, all in flight go again. */
  private settle(): void {
    const live = this.transport.connection();
    for (let first = this.inFlight[0]; first; first = this.inFlight[0]) {
      if (first.connection !== live) return this.resendInFlight();
      if (Date.now() - first.at < SETTLE_MS) return;
      this.buffer.delivered(first.batch);
      this.inFlight.shift();
    }
  }

  private stopped(): boolean {
    return this.running.signal.aborted;
  }

  private resendInFlight(): void {
    this.inFlight = [];
    this.buffer.rewind();
  }

  /** Until lines are taken, or `ms` passed. */
  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, ms);
    });
    this.wake = undefined;
  }
}
