// The app page's "Metrics" section: requests, latency, CPU and memory per minute over the
// last hour (or 6 or 24), as uPlot charts with time and value axes, from the daemon's
// history (GET /api/v1/apps/:app/metrics). uPlot is served by the daemon beside these
// modules (/assets/uPlot.esm.js), loaded when the section is shown.
import type uPlot from 'uplot';
import type { MetricsJson } from '../../model/metrics-json.js';
import type { DomainEvent } from '../../model/domain-events.js';
import { eventText, metricsColumns, type MetricsColumns } from './metrics-data.js';
import { agoElement, api, byId, el, messageOf } from './page.js';

const UPLOT_MODULE = '/assets/uPlot.esm.js';
const STYLES = ['/assets/uPlot.min.css', '/assets/metrics.css'];
/** The daemon samples once a minute: reading more often shows nothing new. */
const REFRESH_MS = 60_000;
const RETRY_MS = 5000;
const HEIGHT = 180;
const HOURS = [1, 6, 24];
/** How many of the platform's events about the app the section lists, newest first. */
const EVENTS_SHOWN = 20;

interface Chart {
  title: string;
  unit: string;
  series: { label: string; column: keyof Omit<MetricsColumns, 'time'>; stroke: string }[];
}

const CHARTS: Chart[] = [
  {
    title: 'Requests',
    unit: 'per minute',
    series: [
      { label: 'requests', column: 'requests', stroke: '#2563eb' },
      { label: '5xx', column: 'errors', stroke: '#dc2626' },
    ],
  },
  {
    title: 'Latency',
    unit: 'ms',
    series: [
      { label: 'p50', column: 'p50', stroke: '#059669' },
      { label: 'p95', column: 'p95', stroke: '#d97706' },
    ],
  },
  { title: 'CPU', unit: '% of one CPU', series: [{ label: 'CPU', column: 'cpu', stroke: '#7c3aed' }] },
  { title: 'Memory', unit: 'MiB', series: [{ label: 'memory', column: 'memoryMib', stroke: '#0891b2' }] },
];

/**
 * Adds the Metrics section to the app page (before its resource usage, else at the end) and
 * keeps it current. Returns what to call with each of the platform's events (from the apps'
 * event stream): those about the app are listed under the charts.
 */
export function metricsPanel(app: string): (event: DomainEvent) => void {
  const range = el('select', undefined, { id: 'metrics-range', 'aria-label': 'Time shown' });
  range.append(...HOURS.map((h) => el('option', h === 1 ? 'Last hour' : `Last ${h} hours`, { value: String(h) })));
  const note = el('p', undefined, { class: 'hint', id: 'metrics-note' });
  const holder = el('div', undefined, { class: 'metrics-charts' });
  const events = el('ul', undefined, { id: 'app-events', 'aria-live': 'polite' });
  // The page's Metrics section (app.hbs) has the containers' usage now; the history joins it.
  byId('metrics').append(range, note, holder, el('h3', 'Events since this page opened'), events);
  document.head.append(...STYLES.map((href) => el('link', undefined, { rel: 'stylesheet', href })));

  let plots: uPlot[] = [];
  const refresh = async () => {
    const hours = Number(range.value);
    const sinceMs = Date.now() - hours * 3_600_000;
    const [UPlot, metrics] = await Promise.all([
      loadUplot(),
      api<MetricsJson>('GET', `/apps/${app}/metrics?since=${encodeURIComponent(new Date(sinceMs).toISOString())}`),
    ]);
    note.textContent =
      metrics.points.length === 0
        ? 'No samples yet: the daemon samples every minute (and starts again when it restarts).'
        : `Per minute, ${metrics.points.length} sampled; kept for a day while the daemon runs.`;
    const columns = metricsColumns(metrics.points);
    const span: [number, number] = [sinceMs / 1000, Date.now() / 1000];
    plots.forEach((plot) => plot.destroy());
    holder.replaceChildren();
    plots = CHARTS.map((chart) => {
      const figure = el('figure', undefined, { 'data-chart': chart.title.toLowerCase() });
      figure.append(el('figcaption', `${chart.title} (${chart.unit})`));
      holder.append(figure);
      return new UPlot(chartOptions(chart, chartWidth(figure), span), chartData(chart, columns), figure);
    });
  };
  let retry: ReturnType<typeof setTimeout> | undefined;
  const show = (): void => {
    clearTimeout(retry);
    refresh().catch((error: unknown) => {
      note.textContent = `Metrics could not be read: ${messageOf(error)}`;
      retry = setTimeout(show, RETRY_MS); // a request lost on the way is not worth a minute's wait
    });
  };
  range.addEventListener('change', show);
  show();
  setInterval(() => {
    if (document.visibilityState === 'visible') show();
  }, REFRESH_MS);
  new ResizeObserver(() =>
    plots.forEach((plot) => plot.setSize({ width: chartWidth(plot.root.parentElement), height: HEIGHT })),
  ).observe(holder);
  return (event) => {
    if (!('app' in event) || event.app !== app) return;
    const item = el('li', `${eventText(event)} `, { 'data-type': event.type });
    item.append(agoElement(event.at));
    events.prepend(item);
    while (events.children.length > EVENTS_SHOWN) events.lastElementChild?.remove();
  };
}

let uplot: Promise<typeof uPlot> | undefined;

let failedLoads = 0;

/**
 * uPlot's module, fetched once from the daemon; after a fetch that failed, again under
 * another URL (the browser remembers a module that failed and would fail it again).
 */
function loadUplot(): Promise<typeof uPlot> {
  const url = failedLoads === 0 ? UPLOT_MODULE : `${UPLOT_MODULE}?try=${failedLoads}`;
  uplot ??= (import(url) as Promise<{ default: typeof uPlot }>).then(
    (module) => module.default,
    (error: unknown) => {
      failedLoads++;
      uplot = undefined;
      throw error;
    },
  );
  return uplot;
}

const chartWidth = (holder: Element | null) => Math.max(200, (holder?.clientWidth ?? 0) - 8);

function chartOptions(chart: Chart, width: number, span: [number, number]): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: true, range: () => span }, y: { range: (_u, _min, max) => [0, Math.max(max, 1)] } },
    axes: [{}, { label: chart.unit, size: 60 }],
    series: [{}, ...chart.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: false }))],
  };
}

function chartData(chart: Chart, columns: MetricsColumns): uPlot.AlignedData {
  return [columns.time, ...chart.series.map((s) => columns[s.column])];
}
