import { UserError, errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { forEachAtMost } from '../core/concurrency.js';
import { everyUntilAborted, oneRunAtATime, sleep } from '../core/process.js';
import type { ProgressLog } from '../model/progress.js';
import type { Platform } from '../platform.js';
import { isProxyEnabled } from '../proxy/enabled.js';
import { serveWakeRequests } from '../proxy/wake-socket.js';
import { appLockName } from '../queue/locks.js';
import type { Instance } from '../runtime/scheduler.js';
import { GLOBAL_SCOPE, type State } from '../state/index.js';
import { waitToRetireMs } from './checks-mode.js';
import { isSleeping, isStopped, markRetiring, markSleeping, RETIRE_MARGIN_MS } from './desired.js';
import { deployRelease } from './release.js';
import { routeTo, sleepRoute } from './routes.js';

/**
 * Sleep and wake: an app whose web processes took no request for its sleep-after is put to
 * sleep (its containers go, its release and formation stay); nginx holds the first request
 * that comes for it, asks the daemon once to wake it (templates/nginx/lua/backends.lua), and
 * every waiting request is answered by the woken containers. The last request's time is
 * nginx's own count (metrics.lua), read here every SLIPWAY_SLEEP_CHECK_SECONDS.
 */

export const SLEEP_AFTER_PROPERTY = 'ps.sleep-after';
const DURATION = /^([1-9]\d{0,5})([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_SLEEP_AFTER_MS = 30 * UNIT_MS.d!;
/** How long a wake waits for the app's lock (a deploy of it in progress) before it gives up. */
const WAKE_LOCK_WAIT_MS = 5 * 60_000;
/**
 * How many apps are put to sleep at once: each mostly waits its drain, so hundreds going idle
 * together (a daemon restart, a quiet night) sleep in the time of a few drains, while the
 * engine is asked to stop only a few apps' containers at a time.
 */
export const SLEEPS_AT_ONCE = 8;

/** `90s`, `30m`, `2h`, `1d` (whole numbers, at most 30 days) in ms; `off` keeps an app awake under a global sleep-after. */
export function parseSleepAfter(text: string): number | 'off' {
  if (text === 'off') return 'off';
  const match = DURATION.exec(text);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : NaN;
  if (!(ms <= MAX_SLEEP_AFTER_MS))
    throw new UserError(`Invalid sleep-after ${text}: give a duration such as 90s, 30m or 2h (at most 30d), or off`);
  return ms;
}

/** `ps:set <app|--global> sleep-after [duration]`: validated, then stored; no value unsets it. */
export function setSleepAfter(state: State, scope: string, value: string | undefined): void {
  if (value !== undefined) parseSleepAfter(value);
  state.properties.set(scope, SLEEP_AFTER_PROPERTY, value);
}

/** The app's sleep-after, else the global one: in ms (undefined: never sleeps), and as ps:report shows it. */
export function sleepAfterOf(state: State, app: string): { ms: number | undefined; shown: string } {
  const own = state.properties.get(app, SLEEP_AFTER_PROPERTY);
  const global = state.properties.get(GLOBAL_SCOPE, SLEEP_AFTER_PROPERTY);
  const text = own ?? global;
  const parsed = text === undefined ? 'off' : parseSleepAfter(text);
  if (parsed === 'off') return { ms: undefined, shown: 'off' };
  return { ms: parsed, shown: own === undefined ? `${text} (global)` : text! };
}

/** What the idle check knows of one awake app. */
export interface IdleFacts {
  sleepAfterMs: number | undefined;
  /** When nginx last logged a request for it (ms since the epoch), if it has since it started. */
  lastRequestAt: number | undefined;
  /** Since when it has been up as it is: its newest web instance's start, or the check's own start. */
  awakeSince: number;
  now: number;
  /** Its running web instances: an app without one takes no requests, so none would wake it. */
  webInstances: number;
}

/** Pure: whether an awake app has gone its whole sleep-after without a request. */
export function isIdle(facts: IdleFacts): boolean {
  if (facts.sleepAfterMs === undefined || facts.webInstances === 0) return false;
  return facts.now - Math.max(facts.lastRequestAt ?? 0, facts.awakeSince) >= facts.sleepAfterMs;
}

/** A wake's deploy lines go to the daemon's log, as debug lines (one summary line says what happened). */
function daemonProgress(log: Log, app: string): ProgressLog {
  const line = (text: string) => log(text, { level: 'debug', app });
  return {
    step: line,
    section: line,
    detail: line,
    output: line,
    raw: line,
    error: (text) => log(text, { level: 'warn', app }),
    mark: () => {},
  };
}

/** Each app's last request as nginx counts it, in ms; undefined when nginx does not answer. */
export type TrafficReader = () => Promise<Map<string, number> | undefined>;

const nginxTraffic =
  (platform: Platform): TrafficReader =>
  async () => {
    const nginx = platform.nginx;
    if (!(await nginx.healthy())) return undefined;
    const traffic = await nginx.traffic();
    return new Map(traffic.flatMap((t) => (t.lastAt === undefined ? [] : [[t.app, t.lastAt * 1000] as const])));
  };

export class Sleeper {
  /** The latest request seen per app: nginx's counts start again when its master does. */
  private readonly lastSeen = new Map<string, number>();
  /** Apps a request asked to wake while they were being put to sleep: they stay awake. */
  private readonly wakeWanted = new Set<string>();
  private readonly waking = new Map<string, Promise<void>>();
  /** When each app was last woken here (its instances' start times say so too, where the engine gives them). */
  private readonly wokenAt = new Map<string, number>();
  /** No app goes to sleep before it has been watched for its whole sleep-after (after a daemon restart too). */
  private readonly watchedSince = Date.now();

  constructor(
    private readonly platform: Platform,
    private readonly log: Log,
    private readonly readTraffic: TrafficReader = nginxTraffic(platform),
  ) {}

  /** Every awake app that may sleep is looked at; those idle for their sleep-after are put to sleep. */
  async checkIdleApps(): Promise<void> {
    const { state } = this.platform;
    const candidates = state.apps
      .list()
      .map((a) => a.name)
      .filter((app) => this.maySleep(app));
    if (candidates.length === 0) return;
    const traffic = await this.readTraffic();
    if (!traffic) return; // nginx's counts cannot tell an idle app now
    const idle = candidates.flatMap((app) => {
      const seen = Math.max(traffic.get(app) ?? 0, this.lastSeen.get(app) ?? 0);
      if (seen > 0) this.lastSeen.set(app, seen);
      const known: IdleFacts = {
        sleepAfterMs: sleepAfterOf(state, app).ms,
        lastRequestAt: seen || undefined,
        awakeSince: Math.max(this.watchedSince, this.wokenAt.get(app) ?? 0),
        now: Date.now(),
        webInstances: 1,
      };
      // Only an app idle by what is known here costs a look at its containers (with many apps, most are not).
      return isIdle(known) ? [{ app, known }] : [];
    });
    await forEachAtMost(idle, SLEEPS_AT_ONCE, ({ app, known }) =>
      this.sleepIfIdle(app, known).catch((error) =>
        this.log(`putting the app to sleep failed: ${errorMessage(error)}`, { level: 'warn', app }),
      ),
    );
  }

  /** Puts the app to sleep if its running web instances, too, say it has been idle. */
  private async sleepIfIdle(app: string, known: IdleFacts): Promise<void> {
    const web = (await this.platform.schedulerFor(app).instances(app)).filter((i) => i.process === 'web' && i.running);
    const facts: IdleFacts = {
      ...known,
      awakeSince: Math.max(known.awakeSince, ...web.map((i) => (i.created ?? 0) * 1000)),
      webInstances: web.length,
    };
    if (isIdle(facts)) await this.putToSleep(app, facts);
  }

  /** Deployed, running, routed through nginx (which alone can wake it), and given a sleep-after. */
  private maySleep(app: string): boolean {
    const { state } = this.platform;
    return (
      sleepAfterOf(state, app).ms !== undefined &&
      state.releases.current(app) !== undefined &&
      !isStopped(state, app) &&
      !isSleeping(state, app) &&
      isProxyEnabled(state, app)
    );
  }

  /**
   * Under the app's lock (skipped while a deploy holds it): its route is marked sleeping first,
   * so a new request waits and asks for a wake, while the requests already on their way finish
   * on its containers (the drain); then, unless a request asked for it meanwhile (the app then
   * stays awake on the same containers), its containers go, workers too. Cron runs go on.
   */
  async putToSleep(app: string, facts: IdleFacts): Promise<boolean> {
    const { platform } = this;
    const { state, settings } = platform;
    const lock = await platform.locks.tryAcquire(appLockName(app));
    if (!lock) return false;
    try {
      if (!this.maySleep(app)) return false;
      const scheduler = platform.schedulerFor(app);
      const instances = await scheduler.instances(app);
      const web = instances.filter((i) => i.process === 'web' && i.running && i.endpoint);
      this.wakeWanted.delete(app);
      markSleeping(state, app, true);
      await sleepRoute(platform, app, web);
      await sleep(waitToRetireMs(state, app, settings.drainMs));
      if (this.wakeWanted.has(app)) {
        markSleeping(state, app, false);
        await routeTo(platform, app, web);
        this.log('stays awake: a request came while it was being put to sleep', { app });
        return false;
      }
      markRetiring(
        state,
        app,
        instances.map((i) => i.id),
        Date.now() + settings.stopTimeoutSeconds * 1000 + RETIRE_MARGIN_MS,
      );
      await sleepRoute(platform, app);
      await scheduler.retire(instances);
      const idleFor = Math.round((facts.now - Math.max(facts.lastRequestAt ?? 0, facts.awakeSince)) / 1000);
      this.log(`asleep after ${idleFor} s without a request: ${describe(instances)} removed`, { app });
      return true;
    } finally {
      await lock.release();
    }
  }

  /**
   * nginx asks for this when a request comes for a sleeping app: the current release starts
   * as a deploy starts it (its network, linked services, checks; no release tasks), under the
   * app's lock. Requests asking at once share one wake; one that finds the app awake (a deploy,
   * ps:stop or a put-to-sleep that saw it coming got there first) does nothing.
   */
  wake(app: string): Promise<void> {
    this.wakeWanted.add(app);
    let waking = this.waking.get(app);
    if (!waking) {
      waking = this.wakeUnderLock(app).finally(() => this.waking.delete(app));
      this.waking.set(app, waking);
    }
    return waking;
  }

  private async wakeUnderLock(app: string): Promise<void> {
    const { platform } = this;
    const asked = Date.now();
    await platform.locks.withLock(appLockName(app), WAKE_LOCK_WAIT_MS, async () => {
      this.wakeWanted.delete(app);
      const current = platform.state.releases.current(app);
      if (!current || !isSleeping(platform.state, app)) return;
      try {
        const retire = await deployRelease(platform, current, daemonProgress(this.log, app), { tasks: false });
        await retire();
      } catch (error) {
        // Its requests get a 503; the next one asks again.
        markSleeping(platform.state, app, true);
        await sleepRoute(platform, app);
        throw error;
      }
      this.wokenAt.set(app, Date.now());
      this.log(`woken by a request: v${current.version} answers after ${Date.now() - asked} ms`, { app });
    });
  }
}

const describe = (instances: Instance[]) => (instances.length === 1 ? '1 container' : `${instances.length} containers`);

/**
 * The daemon's side of sleep and wake, for as long as `signal` allows: the wake socket nginx
 * asks on, and the idle check every SLIPWAY_SLEEP_CHECK_SECONDS. Resolves once the socket listens.
 */
export async function keepAppsSleeping(platform: Platform, log: Log, signal: AbortSignal): Promise<void> {
  const sleeper = new Sleeper(platform, log);
  const nginx = platform.nginx;
  await serveWakeRequests(
    nginx.wakeSocket,
    nginx.wakeToken,
    (app) =>
      sleeper.wake(app).catch((error: unknown) => {
        log(`waking the app failed: ${errorMessage(error)}`, { level: 'warn', app });
        throw error;
      }),
    signal,
  );
  const check = oneRunAtATime(() =>
    sleeper.checkIdleApps().catch((error) => log(`the idle check failed: ${errorMessage(error)}`, { level: 'warn' })),
  );
  everyUntilAborted(platform.settings.sleepCheckMs, signal, () => void check());
}
