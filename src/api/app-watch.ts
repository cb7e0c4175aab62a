import { lineLog } from '../core/log.js';
import type { AppSummary } from '../model/api.js';
import { isSleeping, isStopped } from '../deploy/desired.js';
import type { Platform } from '../platform.js';
import { appDomains } from '../proxy/domains.js';
import { latestDeploy } from './resources.js';
import { runningState, type Instance } from '../runtime/scheduler.js';
import { EventBus } from '../events/bus.js';
import { eventApp, type DomainEvent } from '../events/domain.js';

/**
 * An app was created, or something it shows changed (a rename is the old name removed and the
 * new one changed); or the platform told of something (a deploy, a crash loop…: `domain`).
 */
export type AppEvent =
  | { type: 'app.changed'; seq: number; summary: AppSummary }
  | { type: 'app.removed'; seq: number; name: string }
  | { type: 'domain'; seq: number; event: DomainEvent };

/** The stored half of a summary comes from SQLite each tick; the containers' half from the engine less often. */
const TICK_MS = 1000;
const ENGINE_EVERY_TICKS = 3;

type Stored = Omit<AppSummary, 'processes' | 'running'>;
type Containers = Pick<AppSummary, 'processes' | 'running'>;
const NO_CONTAINERS: Containers = { processes: 0, running: 'false' };

/**
 * Every app's summary, looked at once per second for all listeners together (never per
 * client), and each change published on a bus while anyone listens. The stored state is
 * read every tick (a few indexed SQLite reads per app); the engine is asked about an app's
 * containers every few ticks, and at once when its stored state changed (a deploy started
 * or ended, a release, a stop), and never about an app that has no release and no deploy.
 * The platform's events (platform.events, what webhooks are told) go on the same bus, in
 * order with the summaries, and an event about an app has the app looked at (engine
 * included) at once rather than at the next tick: one stream for the API and the dashboard.
 */
export class AppWatch {
  private readonly bus = new EventBus<AppEvent>();
  private summaries = new Map<string, AppSummary>();
  private seq = 0;
  private ticks = 0;
  private timer?: NodeJS.Timeout;
  private first?: Promise<void>;
  /** Bumped by stop(): a look still under way from before is then thrown away. */
  private generation = 0;
  private looking = false;
  /** Apps an event was told about since the last look: their containers are looked at too. */
  private readonly told = new Set<string>();
  private stopTelling?: () => void;

  constructor(
    private readonly platform: Platform,
    private readonly tickMs = TICK_MS,
  ) {}

  /**
   * Every app's summary now (what a stream starts with) and each change from then on, until
   * `unsubscribe`; the looking stops when the last listener leaves.
   */
  async subscribe(
    listener: (event: AppEvent) => void,
  ): Promise<{ seq: number; summaries: AppSummary[]; unsubscribe: () => void }> {
    const unsubscribe = this.bus.subscribe(listener);
    this.stopTelling ??= this.platform.events.subscribe((event) => this.onPlatformEvent(event));
    this.first ??= this.tick(this.generation);
    await this.first;
    return {
      seq: this.seq,
      summaries: [...this.summaries.values()],
      unsubscribe: () => {
        unsubscribe();
        if (this.bus.size === 0) this.stop();
      },
    };
  }

  stop(): void {
    this.stopTelling?.();
    this.stopTelling = undefined;
    this.told.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.first = undefined;
    this.summaries = new Map();
    this.generation++;
  }

  /** Passes a platform event on, and has its app looked at now (or right after the look under way). */
  private onPlatformEvent(event: DomainEvent): void {
    if (this.first === undefined) return; // not started, or stopped
    this.bus.publish({ type: 'domain', seq: ++this.seq, event });
    const app = eventApp(event);
    if (app === null) return;
    this.told.add(app);
    if (this.looking || this.timer === undefined) return;
    clearTimeout(this.timer);
    const generation = this.generation;
    this.timer = setTimeout(() => void this.tick(generation), 0);
  }

  private async tick(generation: number): Promise<void> {
    this.looking = true;
    try {
      await this.look(generation);
    } catch (error) {
      lineLog()('looking at the apps for the event stream failed', { level: 'error', err: error });
    } finally {
      this.looking = false;
    }
    if (generation !== this.generation) return;
    const delay = this.told.size > 0 ? 0 : this.tickMs;
    if (this.bus.size > 0) this.timer = setTimeout(() => void this.tick(generation), delay);
    else this.stop();
  }

  private async look(generation: number): Promise<void> {
    const askEngine = this.ticks++ % ENGINE_EVERY_TICKS === 0;
    const told = new Set(this.told);
    this.told.clear();
    const looks = this.platform.state.apps.list().map(({ name }) => {
      const stored = this.stored(name);
      const previous = this.summaries.get(name);
      const changed = !previous || JSON.stringify(stored) !== JSON.stringify(storedOf(previous));
      return { stored, previous, ask: askEngine || changed || told.has(name) };
    });
    const asked = await this.containers(looks.filter((l) => l.ask).map((l) => l.stored));
    const next = new Map<string, AppSummary>();
    for (const { stored, previous, ask } of looks) {
      const containers = (ask && asked.get(stored.name)) || previous || NO_CONTAINERS;
      next.set(stored.name, { ...stored, processes: containers.processes, running: containers.running });
    }
    if (generation !== this.generation) return;
    const before = this.summaries;
    this.summaries = next;
    for (const [name, summary] of next) {
      if (JSON.stringify(summary) !== JSON.stringify(before.get(name)))
        this.bus.publish({ type: 'app.changed', seq: ++this.seq, summary });
    }
    for (const name of before.keys())
      if (!next.has(name)) this.bus.publish({ type: 'app.removed', seq: ++this.seq, name });
  }

  private stored(name: string): Stored {
    const { state, settings } = this.platform;
    const release = state.releases.current(name)?.version ?? null;
    return {
      name,
      deployed: release !== null,
      stopped: isStopped(state, name),
      sleeping: isSleeping(state, name),
      release,
      // As `builds:list --format json` shows it, less what changes at every phase (timings).
      deploy: latestDeploy(this.platform, name),
      vhosts: appDomains(state, settings, name).join(' '),
    };
  }

  /**
   * The containers' half of these apps' summaries, from one listing of them all (one each was a
   * thousand engine calls every few ticks on a host of a thousand apps); none for an app when
   * the engine did not answer (its last summary stays).
   */
  private async containers(apps: Stored[]): Promise<Map<string, Containers>> {
    const found = new Map<string, Containers>();
    const asked: string[] = [];
    for (const stored of apps) {
      if (stored.deployed || stored.deploy) asked.push(stored.name);
      else found.set(stored.name, NO_CONTAINERS);
    }
    if (asked.length === 0) return found;
    const listed = await this.platform.instancesOfApps(asked).catch(() => new Map<string, Instance[]>());
    for (const [app, instances] of listed)
      found.set(app, { processes: instances.length, running: runningState(instances) });
    return found;
  }
}

function storedOf({ processes: _processes, running: _running, ...stored }: AppSummary): Stored {
  return stored;
}
