import { randomUUID } from 'node:crypto';
import { errorMessage } from '../core/errors.js';
import { everyUntilAborted, oneRunAtATime } from '../core/process.js';
import type { Platform } from '../platform.js';
import { appLockName } from '../queue/locks.js';
import type { Instance, InstanceEvent } from '../runtime/scheduler.js';
import { reviveServices } from '../services/index.js';
import { compareWithRunning } from './compare.js';
import { isSleeping, isStopped, isTried, markRetiring, recordDrift, RETIRE_MARGIN_MS, retiringNow } from './desired.js';
import { queueDeploy } from './index.js';
import { isRoutedTo, restoreRoute, routedInstances, routeTo, parkApp, sleepRoute, withdrawInstance } from './routes.js';
import type { Log } from '../core/log.js';

/** After a container dies, how long its engine gets to mark it restarting (by its restart policy) before the reconciler looks. */
const DIE_SETTLE_MS = 300;
/** Containers the engine starts together (after it restarted) are looked at together. */
const START_SETTLE_MS = 200;
/** Between two restarts the reconciler asks for one app, doubling while they do not help. */
const FIRST_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 10 * 60_000;

/** What the reconciler brings back with a restart deploy: the processes of the current release that are missing. */
interface Restart {
  release: number;
  missing: string[];
}

const label = (i: Instance) => `${i.process}.${i.index} (v${i.release})`;

/**
 * Keeps what runs equal to what was released. SQLite holds the desired state (each app's
 * current release, formation, stopped or not); the reconciler reads what runs from the
 * scheduler and acts: missing processes come back through a zero-downtime restart deploy,
 * extra ones are retired (never while an old release drains), traffic goes to exactly the
 * app's own running instances, a stopped app stays stopped, a sleeping one asleep (a request
 * wakes it, not the reconciler). It never works on an app whose lock is held: a deploy in
 * progress is the one changing it.
 */
export class Reconciler {
  private readonly backoff = new Map<string, { failures: number; notBefore: number }>();

  constructor(
    private readonly platform: Platform,
    private readonly log: Log,
  ) {}

  /**
   * The engine is back after a while away: restarts asked for before were asked of an engine
   * going down (they failed with it, or found nothing to do), so none holds the next one back.
   */
  engineBack(): void {
    this.backoff.clear();
  }

  /**
   * Every app; one app's trouble never stops the others. What runs is listed once per
   * scheduler at the start (with a thousand apps, asking each app's would be a thousand engine
   * calls a pass), and each app's look without its lock reads it; what acts on an app, under
   * its lock, lists that app afresh. A listing that fails leaves its apps to list their own.
   */
  async all(): Promise<void> {
    const apps = this.platform.state.apps.list().map((a) => a.name);
    const listed = await this.listing(apps);
    for (const app of apps) {
      await this.app(app, listed.get(app)).catch((error) =>
        this.log(`reconciling failed: ${errorMessage(error)}`, { level: 'warn', app }),
      );
    }
  }

  /** What runs for each app, listed once per scheduler; apps whose listing failed are left out. */
  private async listing(apps: string[]): Promise<Map<string, Instance[]>> {
    const listed = await Promise.all(
      [...this.platform.appsBySchedulers(apps, { skipUnavailable: true }).values()].map((own) =>
        this.platform.instancesOfApps(own).catch(() => new Map<string, Instance[]>()),
      ),
    );
    return new Map(listed.flatMap((found) => [...found]));
  }

  /**
   * One app: what was found off, and what was done about it, goes to the log and `ps:report`.
   * It looks first without the app's lock, so a deploy is never kept waiting when all is well.
   * That look may read `listed`, what runs as a pass listed it at its start: nothing is done
   * from it, as an app it shows off is listed again under its lock (a deploy or wake since may
   * have put it right); one it shows in order that went off since (a container died) is told
   * by the engine's event, and looked at then.
   */
  async app(app: string, listed?: Instance[]): Promise<string[]> {
    if (this.platform.state.apps.get(app) && (await this.inOrder(app, listed))) {
      this.backoff.delete(app);
      return [];
    }
    const lock = await this.platform.locks.tryAcquire(appLockName(app));
    if (!lock) return [];
    let found: string[];
    let restart: Restart | undefined;
    try {
      if (!this.platform.state.apps.get(app)) return [];
      ({ found, restart } = await this.converge(app));
    } finally {
      await lock.release();
    }
    if (restart) found.push(await this.requestRestart(app, restart));
    else if (found.length === 0) this.backoff.delete(app);
    recordDrift(this.platform.state, app, found);
    for (const line of found) this.log(line, { app });
    return found;
  }

  /** Whether what runs is what was released, routed as it should be: nothing to do. */
  private async inOrder(app: string, listed?: Instance[]): Promise<boolean> {
    const seen = await this.assess(app, listed);
    if (!seen.current || seen.idle) return seen.instances.length === 0;
    return seen.missing.length === 0 && seen.stray.length === 0 && seen.routed;
  }

  /** What runs for the app (listed now, unless given), against its desired state. */
  private async assess(app: string, listed?: Instance[]) {
    const { state } = this.platform;
    const current = state.releases.current(app);
    const stopped = isStopped(state, app);
    const sleeping = !stopped && isSleeping(state, app);
    const idle = stopped || sleeping;
    if (!current || idle)
      return {
        instances: listed ?? (await this.platform.schedulerFor(app).instances(app)),
        current,
        idle,
        sleeping,
        missing: [],
        stray: [],
        web: [],
        routed: true,
      };
    const { instances, keep, missing, extra } = await compareWithRunning(this.platform, app, current, listed);
    // After a swap the old containers drain until the deploy retires them; only strays go now.
    const retiring = retiringNow(state, app);
    const stray = extra.filter((i) => !retiring.has(i.id));
    const web = keep.filter((i) => i.process === 'web' && i.endpoint);
    return {
      instances,
      current,
      idle,
      sleeping,
      missing,
      stray,
      web,
      routed: web.length === 0 || isRoutedTo(this.platform, app, web),
    };
  }

  private async converge(app: string): Promise<{ found: string[]; restart?: Restart }> {
    const { instances, current, idle, sleeping, missing, stray, web, routed } = await this.assess(app);
    if (!current || idle) {
      if (instances.length === 0) return { found: [] };
      if (current && sleeping) await sleepRoute(this.platform, app);
      else await parkApp(this.platform, app);
      await this.retire(app, instances);
      const why = !current ? 'not deployed' : sleeping ? 'sleeping' : 'stopped';
      return { found: [`retired ${instances.map(label).join(', ')}: the app is ${why}`] };
    }
    if (missing.length > 0)
      return {
        found: [`missing ${missing.join(', ')} of v${current.version}`],
        restart: { release: current.version, missing },
      };
    const found: string[] = [];
    if (stray.length > 0) {
      await this.retire(app, stray);
      found.push(`retired ${stray.map(label).join(', ')}`);
    }
    if (!routed) {
      await routeTo(this.platform, app, web);
      found.push(`routed to ${web.map((i) => `${label(i)} at ${i.endpoint!.host}`).join(', ')}`);
    }
    return { found };
  }

  /** Retired by design, as surplus: their ends are no crash (app.crashed) to tell of. */
  private async retire(app: string, instances: Instance[]): Promise<void> {
    const { state, settings } = this.platform;
    markRetiring(
      state,
      app,
      instances.map((i) => i.id),
      Date.now() + settings.stopTimeoutSeconds * 1000 + RETIRE_MARGIN_MS,
    );
    await this.platform.schedulerFor(app).retire(instances);
  }

  /** Asks for a restart deploy of the current release, at most once per backoff period. */
  private async requestRestart(app: string, restart: Restart): Promise<string> {
    const now = Date.now();
    const previous = this.backoff.get(app) ?? { failures: 0, notBefore: 0 };
    if (now < previous.notBefore) return `restart held back until ${new Date(previous.notBefore).toISOString()}`;
    this.backoff.set(app, {
      failures: previous.failures + 1,
      notBefore: now + Math.min(FIRST_BACKOFF_MS * 2 ** previous.failures, MAX_BACKOFF_MS),
    });
    const deployId = randomUUID();
    await queueDeploy(this.platform, { kind: 'restart', reason: 'reconcile', app, deployId, requestedBy: 'slipway' });
    this.platform.events.publish('app.restarted', { app, ...restart });
    return `restart deploy ${deployId.slice(0, 8)} queued`;
  }
}

/**
 * Keeps what runs equal to what was released, for as long as `signal` allows: every route is
 * given again and everything reconciled at start (nginx may have restarted too), then every
 * SLIPWAY_RECONCILE_SECONDS, after a lost view of the engine (it restarted), and soon after a
 * container dies that no deploy is retiring. Routing follows instances the engine restarts
 * at new addresses as soon as they start. Resolves once the routes are given at start (the
 * daemon does not wait for it to serve: see daemon.ts).
 */
export async function keepConverging(platform: Platform, log: Log, signal: AbortSignal): Promise<void> {
  const reconciler = new Reconciler(platform, log);
  const attempt = (what: string, work: () => Promise<unknown>) =>
    void work().catch((error) => log(`${what} failed: ${errorMessage(error)}`, { level: 'warn' }));
  const pending = new Map<string, NodeJS.Timeout>();
  const soon = (what: string, delayMs: number, work: () => Promise<unknown>) => {
    clearTimeout(pending.get(what));
    pending.set(
      what,
      setTimeout(() => {
        pending.delete(what);
        attempt(what, work);
      }, delayMs),
    );
  };
  signal.addEventListener('abort', () => pending.forEach((timer) => clearTimeout(timer)), { once: true });
  const services = () => reviveServices(platform).then((done) => done.forEach((line) => log(line)));
  // One app's trouble never keeps the others from their routes.
  const restoreAll = () =>
    Promise.all(
      platform.state.apps
        .list()
        .map((app) =>
          restoreRoute(platform, app.name).catch((error) =>
            log(`restoring the route failed: ${errorMessage(error)}`, { level: 'warn', app: app.name }),
          ),
        ),
    );
  const withdrawAll = () =>
    Promise.all(
      platform.state.apps
        .list()
        .flatMap((app) => routedInstances(platform, app.name).map((id) => withdrawInstance(platform, app.name, id))),
    );
  /**
   * Services first (apps may need them), then every app's containers; one pass at a time: with
   * a thousand apps a pass can take longer than SLIPWAY_RECONCILE_SECONDS.
   */
  const converge = oneRunAtATime(() => services().then(() => reconciler.all()));
  const everything = () => restoreAll().then(converge);
  for (const scheduler of platform.allSchedulers()) {
    void scheduler.watch((event) => {
      if (event.action === 'lost') {
        log('lost the container engine: every app is out of traffic until its instances are seen running again');
        return attempt('withdrawing every route', withdrawAll);
      }
      if (event.action === 'resync') {
        // The engine is back: addresses may have moved to other containers. Routes first, at once.
        reconciler.engineBack();
        attempt('restoring routes', restoreAll);
        return soon('reconciling everything', DIE_SETTLE_MS, everything);
      }
      if (event.action === 'node' && event.node)
        return platform.events.publish(event.node.up ? 'node.up' : 'node.down', {
          node: event.node.name,
          address: event.node.address,
        });
      if (event.service) return event.action === 'die' && soon('reconciling services', DIE_SETTLE_MS, services);
      const app = event.app;
      if (!app || !platform.state.apps.get(app)) return;
      if (event.action === 'die') {
        const unreachable = event.unreachable === true;
        tellIfCrashed(platform, app, event);
        if (routedInstances(platform, app).includes(event.id))
          attempt(`withdrawing ${app}'s dead instance`, () =>
            withdrawInstance(platform, app, event.id, { unreachable }),
          );
        if (!retiringNow(platform.state, app).has(event.id))
          soon(`reconciling ${app}`, DIE_SETTLE_MS, () => reconciler.app(app));
        return;
      }
      // An instance that took traffic is routed again at its new address. Any other that the
      // engine started may be one the app misses (its route was given up while the engine was
      // away): the app is looked at soon, which routes it if it is the release's and changes
      // nothing while a deploy (which routes its own new instances) holds the app.
      if (routedInstances(platform, app).includes(event.id))
        soon(`restoring the route of ${app}`, START_SETTLE_MS, () => restoreRoute(platform, app));
      else soon(`reconciling ${app}`, START_SETTLE_MS, () => reconciler.app(app));
    }, signal);
  }
  const restored = restoreAll();
  attempt('reconciling', () => restored.then(converge));
  everyUntilAborted(platform.settings.reconcileMs, signal, () => attempt('reconciling', converge));
  await restored;
}

/**
 * A process container (or Swarm task) that stopped while the app should run, and that no
 * deploy was retiring, crashed. Builds and one-offs end by design, and name no process (or
 * are one-offs). A task cut off on a node that is down or does not answer may still run
 * there: that is told as the node's (node.down), not as a crash of each task on it.
 */
function tellIfCrashed(platform: Platform, app: string, event: InstanceEvent): void {
  const { state } = platform;
  if (!event.process || event.oneOff || event.unreachable) return;
  if (isStopped(state, app) || isSleeping(state, app)) return;
  if (retiringNow(state, app).has(event.id) || isTried(state, app, event.id)) return;
  platform.events.publish('app.crashed', { app, process: event.process, container: event.id.slice(0, 12) });
}
