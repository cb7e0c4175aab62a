import type { Log } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import type { Platform } from '../platform.js';
import type { Instance } from '../runtime/scheduler.js';
import type { ContainerUsage } from '../runtime/scheduler.js';
import { LATENCY_BUCKETS, type AppTraffic } from '../proxy/traffic.js';
import { histogramSamples, renderPrometheus, type Family, type Sample } from './prometheus.js';

export { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';

/** The engine is asked about this many containers at once: a scrape must not queue hundreds of stats calls. */
const STATS_AT_ONCE = 8;

interface Measured {
  traffic: AppTraffic[];
  containers: { app: string; instance: Instance; usage: ContainerUsage }[];
  queue: Record<string, number> | undefined;
}

/**
 * `/metrics`: every app's traffic (from nginx's counters), its running containers' CPU and
 * memory (from the engine), deploys and their outcomes (from the state, restarts the
 * reconciler asked for among them) and the deploy queue's depth, in Prometheus's text.
 * Only apps that exist now are shown: nginx keeps a removed app's counters until it restarts.
 */
export async function metricsText(platform: Platform): Promise<string> {
  const apps = new Set(platform.state.apps.list().map((app) => app.name));
  const [traffic, containers, queue] = await Promise.all([
    platform.nginx.traffic(),
    containerUsage(platform, [...apps]),
    platform.queue.depth().catch(() => undefined),
  ]);
  return renderPrometheus(
    metricFamilies(platform, { traffic: traffic.filter((t) => apps.has(t.app)), containers, queue }),
  );
}

/**
 * Samples every app's traffic and containers each `sampleMs` (a minute by default), at the
 * same second of each minute, into the platform's history (what the API's per-app metrics
 * and the dashboard's charts read) until `signal` aborts. A failed reading is skipped: its
 * minute then counts into the next.
 */
export function keepSampling(platform: Platform, log: Log, signal: AbortSignal): void {
  const { metricsSampleMs: sampleMs } = platform.settings;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    if (!signal.aborted) timer = setTimeout(sample, sampleMs - (Date.now() % sampleMs));
  };
  const sample = () => {
    const apps = new Set(platform.state.apps.list().map((app) => app.name));
    platform.history.keepOnly(apps);
    Promise.all([platform.nginx.traffic(), containerUsage(platform, [...apps])])
      .then(([traffic, containers]) =>
        platform.history.record({
          at: Date.now(),
          traffic: traffic.filter((t) => apps.has(t.app)),
          containers: containers.map(({ app, instance, usage }) => ({
            app,
            id: instance.id,
            cpuSecondsTotal: usage.cpuSecondsTotal,
            memoryBytes: usage.memoryBytes,
          })),
        }),
      )
      .catch((error: unknown) => log(`sampling metrics failed: ${errorMessage(error)}`, { level: 'warn' }))
      .finally(next);
  };
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  sample();
}

function metricFamilies(platform: Platform, measured: Measured): Family[] {
  const outcomes = platform.state.deploys.outcomes();
  const byApp = (app: string) => ({ app });
  const instanceLabels = ({ app, instance }: Measured['containers'][number]) => ({
    app,
    process: instance.process,
    index: String(instance.index),
    release: `v${instance.release}`,
  });
  return [
    {
      name: 'slipway_apps',
      help: 'Apps on this Slipway.',
      type: 'gauge',
      samples: [{ labels: {}, value: platform.state.apps.list().length }],
    },
    {
      name: 'slipway_http_requests_total',
      help: "Requests nginx answered for the app's domains, by status class.",
      type: 'counter',
      samples: measured.traffic.flatMap((t) =>
        Object.entries(t.byStatus).map(([status, value]) => ({ labels: { app: t.app, status }, value })),
      ),
    },
    {
      name: 'slipway_http_request_duration_seconds',
      help: 'Time nginx took to answer a request to the app (the app and the network to it included).',
      type: 'histogram',
      samples: measured.traffic.flatMap((t) => histogramSamples(byApp(t.app), LATENCY_BUCKETS, t.byBucket, t.seconds)),
    },
    {
      name: 'slipway_http_last_request_timestamp_seconds',
      help: 'When nginx last answered a request to the app.',
      type: 'gauge',
      samples: measured.traffic.flatMap((t) =>
        t.lastAt === undefined ? [] : [{ labels: byApp(t.app), value: t.lastAt }],
      ),
    },
    {
      name: 'slipway_container_cpu_seconds_total',
      help: 'CPU time a running container of the app has used since it started.',
      type: 'counter',
      samples: measured.containers.map((c) => ({ labels: instanceLabels(c), value: c.usage.cpuSecondsTotal })),
    },
    {
      name: 'slipway_container_memory_bytes',
      help: 'Memory a running container of the app uses, without the page cache (as docker stats shows it).',
      type: 'gauge',
      samples: measured.containers.map((c) => ({ labels: instanceLabels(c), value: c.usage.memoryBytes })),
    },
    {
      name: 'slipway_container_memory_limit_bytes',
      help: "A running container's memory limit (the host's memory when it has none).",
      type: 'gauge',
      samples: measured.containers.map((c) => ({ labels: instanceLabels(c), value: c.usage.memoryLimitBytes })),
    },
    {
      name: 'slipway_deploys_total',
      help: 'Finished deploys by kind and outcome; requested_by="slipway" are the ones Slipway asked for itself (the reconciler restarting missing processes).',
      type: 'counter',
      samples: outcomes.map((o) => ({ labels: deployLabels(o), value: o.count })),
    },
    {
      name: 'slipway_deploy_duration_seconds_total',
      help: 'Time finished deploys took, from queued to done, by kind and outcome.',
      type: 'counter',
      samples: outcomes.map((o) => ({ labels: deployLabels(o), value: o.totalMs / 1000 })),
    },
    {
      name: 'slipway_deploy_queue_jobs',
      help: 'Deploy jobs in the queue by state.',
      type: 'gauge',
      samples: Object.entries(measured.queue ?? {}).map(([state, value]): Sample => ({ labels: { state }, value })),
    },
  ];
}

function deployLabels(o: ReturnType<Platform['state']['deploys']['outcomes']>[number]): Record<string, string> {
  return { app: o.app, kind: o.kind, status: o.status, requested_by: o.automatic ? 'slipway' : 'user' };
}

/** The running containers of every app, with what each uses now; a container that went meanwhile is left out. */
async function containerUsage(platform: Platform, apps: string[]): Promise<Measured['containers']> {
  const running: { app: string; instance: Instance }[] = [];
  // One listing for all the apps: one per app was a thousand engine calls a minute on a host of a thousand.
  const deployed = apps.filter((app) => platform.state.releases.current(app) !== undefined);
  const listed = await platform.instancesOfApps(deployed).catch(() => new Map<string, Instance[]>());
  for (const [app, instances] of listed)
    running.push(...instances.filter((i) => i.running).map((instance) => ({ app, instance })));
  const measured: Measured['containers'] = [];
  for (let i = 0; i < running.length; i += STATS_AT_ONCE) {
    const batch = running.slice(i, i + STATS_AT_ONCE);
    const usages = await Promise.all(
      batch.map(({ app, instance }) =>
        platform
          .schedulerFor(app)
          .usage(instance, { oneShot: true })
          .catch(() => undefined),
      ),
    );
    batch.forEach((entry, n) => {
      const usage = usages[n];
      if (usage) measured.push({ ...entry, usage });
    });
  }
  return measured;
}
