import type { DomainEvent, DomainEventFields, DomainEventType } from './domain.js';

/** Crashes of one app's process within this long of each other make a loop… */
export const CRASH_LOOP_WINDOW_MS = 10 * 60_000;
/** …once there are this many. */
export const CRASH_LOOP_CRASHES = 3;
/** A looping app that runs this long after a restart or deploy without a crash has recovered. */
export const CRASH_LOOP_QUIET_MS = 2 * 60_000;

type Publish = <T extends DomainEventType>(type: T, fields: DomainEventFields[T]) => void;

interface Loop {
  crashes: number;
  startedAt: number;
  quiet?: ReturnType<typeof setTimeout>;
}

export interface CrashLoopOptions {
  windowMs: number;
  crashes: number;
  quietMs: number;
  now: () => number;
}

/**
 * Groups a crash loop into two events: the first crashes of an app's process pass as
 * `app.crashed`, the one that makes CRASH_LOOP_CRASHES within the window becomes one
 * `app.crash_loop` (with the count), and from then on that app's crashes, and the restarts
 * and recoveries the reconciler reports for it, are only counted, until it has run quietly
 * for a while after a restart or a deploy: then one `app.crash_loop_recovered` says how many
 * crashes there were. Whoever is told (webhooks, the dashboard) gets two notifications for a
 * loop, not three per crash. Memory: the crash times within the window, per app's process.
 */
export class CrashLoops {
  private readonly recent = new Map<string, number[]>();
  private readonly loops = new Map<string, Loop>();
  private readonly options: CrashLoopOptions;

  constructor(
    private readonly publish: Publish,
    options: Partial<CrashLoopOptions> = {},
  ) {
    this.options = {
      windowMs: CRASH_LOOP_WINDOW_MS,
      crashes: CRASH_LOOP_CRASHES,
      quietMs: CRASH_LOOP_QUIET_MS,
      now: Date.now,
      ...options,
    };
  }

  /** Whether the event is told as it is; false when it was counted into a loop (or replaced by one). */
  pass(event: DomainEvent): boolean {
    if (event.type === 'app.crashed') return this.crashed(event.app, event.process);
    if (event.type === 'app.restarted') return !this.loopingApp(event.app);
    if (event.type === 'app.recovered' || (event.type === 'deploy.succeeded' && this.loopingApp(event.app))) {
      this.waitForQuiet(event.app);
      return event.type !== 'app.recovered' || !this.loopingApp(event.app);
    }
    return true;
  }

  private crashed(app: string, process: string): boolean {
    const key = `${app} ${process}`;
    const now = this.options.now();
    const loop = this.loops.get(key);
    if (loop) {
      loop.crashes++;
      clearTimeout(loop.quiet);
      loop.quiet = undefined;
      return false;
    }
    const recent = [...(this.recent.get(key) ?? []).filter((at) => now - at < this.options.windowMs), now];
    if (recent.length < this.options.crashes) {
      this.recent.set(key, recent);
      return true;
    }
    this.recent.delete(key);
    this.loops.set(key, { crashes: recent.length, startedAt: recent[0]! });
    this.publish('app.crash_loop', {
      app,
      process,
      crashes: recent.length,
      window_seconds: Math.round(this.options.windowMs / 1000),
    });
    return false;
  }

  private loopingApp(app: string): boolean {
    return [...this.loops.keys()].some((key) => key.startsWith(`${app} `));
  }

  /** Each loop of the app ends as recovered if no crash comes for a while from now. */
  private waitForQuiet(app: string): void {
    for (const [key, loop] of this.loops) {
      if (!key.startsWith(`${app} `)) continue;
      clearTimeout(loop.quiet);
      loop.quiet = setTimeout(() => {
        this.loops.delete(key);
        this.publish('app.crash_loop_recovered', {
          app,
          process: key.slice(app.length + 1),
          crashes: loop.crashes,
          seconds: Math.round((this.options.now() - loop.startedAt) / 1000),
        });
      }, this.options.quietMs);
      loop.quiet.unref();
    }
  }
}
