// One app's page: its deploys (the running one's log live), releases with rollback, config,
// processes and scaling, CPU and memory charts, domains, and its containers' logs live.
import type {
  CommandOutput,
  ConfigJson,
  DeployEnd,
  DeployJson,
  ProcessesJson,
  ReleaseJson,
  UsageJson,
} from '../../model/api.js';
import {
  chartPoints,
  containerName,
  deployOutcome,
  deployToFollow,
  lineSplitter,
  mib,
  stateOf,
  withLine,
} from './format.js';
import { metricsPanel } from './metrics-panel.js';
import { act, agoElement, api, byId, csrf, el, eventData, fillTable, row, say, sayFailed, watchApps } from './page.js';

/** Reading usage makes the engine sample each container for about a second. */
const USAGE_MS = 5000;

let followed: { id: string; source: EventSource } | undefined;
/** The deploy the page last switched to by itself; a log opened by hand stays until a newer deploy. */
let autoFollowed: string | undefined;

/** Shows a deploy's log, following it live while it runs (server-sent events). */
function showDeployLog(app: string, deploy: DeployJson): void {
  if (followed?.id === deploy.id) return;
  followed?.source.close();
  const log = byId('deploy-log');
  log.textContent = '';
  // Each event's data is JSON; a reconnect sends the last event's id and gets only what follows.
  const source = new EventSource(`/api/v1/apps/${app}/deploys/${deploy.id}/log`);
  followed = { id: deploy.id, source };
  source.addEventListener('line', (event) => {
    log.append(`${eventData<string>(event)}\n`);
    log.scrollTop = log.scrollHeight;
  });
  source.addEventListener('end', (event) => {
    log.append(deployOutcome(eventData<DeployEnd>(event)));
    source.close();
  });
}

async function refreshDeploys(app: string): Promise<void> {
  const deploys = await api<DeployJson[]>('GET', `/apps/${app}/deploys`);
  fillTable(
    '#deploys',
    deploys.slice(0, 20).map((d) => {
      const open = el('button', d.id.slice(0, 8), {
        type: 'button',
        'aria-label': `Show the log of deploy ${d.id.slice(0, 8)}`,
      });
      open.addEventListener('click', () => showDeployLog(app, d));
      return row([open, d.release ? `v${d.release}` : '-', d.kind, d.status, agoElement(d.started_at), d.requested_by]);
    }),
  );
  const latest = deployToFollow(deploys);
  if (latest && latest.id !== autoFollowed) {
    autoFollowed = latest.id;
    showDeployLog(app, latest);
  }
}

async function refreshReleases(app: string): Promise<void> {
  const releases = await api<ReleaseJson[]>('GET', `/apps/${app}/releases`);
  const current = releases.find((r) => r.current);
  fillTable(
    '#releases',
    releases.slice(0, 20).map((r) => {
      let action: HTMLButtonElement | string = r.current ? 'current' : '';
      if (!r.current && r.status === 'succeeded' && current) {
        action = el('button', `Roll back to v${r.version}`, { type: 'button' });
        action.addEventListener('click', () => {
          if (!confirm(`Roll ${app} back to v${r.version}?`)) return;
          void act(`Rolling back to v${r.version}`, () =>
            api('POST', `/apps/${app}/releases/rollback`, { version: r.version }).then(() => refreshApp(app)),
          );
        });
      }
      return row([`v${r.version}`, r.kind, r.description, agoElement(r.created_at), action]);
    }),
  );
}

// Keys whose values the user revealed stay revealed across refreshes, until hidden again.
const revealedKeys = new Set<string>();

async function refreshConfig(app: string): Promise<void> {
  const { config } = await api<ConfigJson>('GET', `/apps/${app}/config`);
  const values = revealedKeys.size > 0 ? (await api<ConfigJson>('GET', `/apps/${app}/config?reveal=true`)).config : {};
  fillTable(
    '#config',
    Object.keys(config).map((key) => {
      const shown = revealedKeys.has(key);
      const value = el('code', shown ? (values[key] ?? '') : config[key]);
      const reveal = el('button', shown ? 'Hide' : 'Reveal', {
        type: 'button',
        'aria-label': `${shown ? 'Hide' : 'Reveal'} ${key}`,
      });
      reveal.addEventListener('click', () => {
        if (shown) revealedKeys.delete(key);
        else revealedKeys.add(key);
        refreshConfig(app).catch(sayFailed);
      });
      const remove = el('button', 'Remove', { type: 'button', 'aria-label': `Remove ${key}` });
      remove.addEventListener('click', () => {
        if (confirm(`Remove ${key} from ${app}? The app restarts without it.`))
          void act(`Removing ${key}`, () =>
            api('PATCH', `/apps/${app}/config`, { unset: [key] }).then(() => refreshApp(app)),
          );
      });
      const actions = el('span');
      actions.append(reveal, ' ', remove);
      return row([key, value, actions]);
    }),
  );
}

async function refreshProcesses(app: string): Promise<void> {
  const { formation, report } = await api<ProcessesJson>('GET', `/apps/${app}/processes`);
  const holder = byId('formation');
  // Not while someone is typing a count in it.
  if (!holder.contains(document.activeElement)) {
    holder.replaceChildren(
      ...Object.entries(formation).map(([type, count]) => {
        const label = el('label', `${type} `, { for: `scale-${type}` });
        const input = el('input', undefined, {
          id: `scale-${type}`,
          name: type,
          type: 'number',
          min: '0',
          max: '100',
          value: String(count),
        });
        label.append(input);
        return label;
      }),
    );
  }
  const containers = Object.entries(report).filter(([key]) => key.startsWith('status-'));
  followLogs(app, containers.map(([key, value]) => `${key}=${value}`).join(' '));
  byId('containers').replaceChildren(...containers.map(([key, value]) => el('li', `${containerName(key)}: ${value}`)));
  const state = stateOf({
    deployed: report.deployed === 'true',
    stopped: report.stopped === 'true',
    running: report.running,
  });
  byId('summary').textContent = `${state}, ${report.processes} container(s)`;
}

async function refreshDomains(app: string): Promise<void> {
  const domains = await api<Partial<Record<string, string>>>('GET', `/apps/${app}/domains`);
  const list = (domains['app-vhosts'] ?? '').split(' ').filter(Boolean);
  byId('domains').replaceChildren(...list.map((domain) => el('li', domain)));
}

// The app's container logs, followed live (`logs --tail` through /commands, read as it
// streams). The follow ends when its containers stop, and is started again whenever the set
// of running containers changes, so a deploy or a scale shows the new containers' lines.
const LOG_LINES = 500;
const FOLLOW_RETRY_MS = 2000;
let logFollow: { containers: string; controller: AbortController } | undefined;

function appendLog(line: string): void {
  const logs = byId('app-logs');
  const atEnd = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
  logs.textContent = withLine(logs.textContent, line, LOG_LINES);
  if (atEnd) logs.scrollTop = logs.scrollHeight;
}

async function followLogsOnce(app: string, signal: AbortSignal): Promise<void> {
  const response = await fetch('/api/v1/commands', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ command: ['logs', app, '--num', '50', '--tail'] }),
    signal,
  });
  if (response.status === 401) return location.assign('/login');
  byId('app-logs').textContent = '';
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const lines = lineSplitter();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    for (const entry of lines(value)
      .filter(Boolean)
      .map((line) => JSON.parse(line) as CommandOutput)) {
      if ('line' in entry) appendLog(entry.line.replace(/^ ! {5}/, ''));
    }
  }
}

/** Follows the logs of the containers named by `containers` (restarting when that changes); none: nothing to follow. */
function followLogs(app: string, containers: string): void {
  if (logFollow?.containers === containers) return;
  logFollow?.controller.abort();
  const follow = { containers, controller: new AbortController() };
  logFollow = follow;
  if (containers === '') return;
  void (async () => {
    while (!follow.controller.signal.aborted) {
      await followLogsOnce(app, follow.controller.signal).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_RETRY_MS));
    }
  })();
}

// The last few minutes of each container's CPU and memory, as small line charts.
const USAGE_POINTS = 60;
const usageHistory = new Map<string, { cpu: number[]; memory: number[] }>();

function sparkline(values: number[], max: number, label: string): SVGSVGElement {
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', `0 0 ${USAGE_POINTS} 20`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const line = document.createElementNS(svgNs, 'polyline');
  line.setAttribute('points', chartPoints(values, max, USAGE_POINTS));
  svg.append(line);
  return svg;
}

async function refreshUsage(app: string): Promise<void> {
  const rows = await api<UsageJson[]>('GET', `/apps/${app}/processes/usage`);
  byId('usage').replaceChildren(
    ...rows.map((usage) => {
      const history = usageHistory.get(usage.process) ?? { cpu: [], memory: [] };
      usageHistory.set(usage.process, history);
      if (usage.cpu_percent !== null) history.cpu = [...history.cpu, usage.cpu_percent].slice(-USAGE_POINTS);
      if (usage.memory_bytes !== null) history.memory = [...history.memory, usage.memory_bytes].slice(-USAGE_POINTS);
      const figure = el('figure');
      const cpuText = usage.cpu_percent === null ? 'not reachable from here' : `${usage.cpu_percent}% CPU`;
      const memoryText =
        usage.memory_bytes === null ? '' : `, ${mib(usage.memory_bytes)} of ${mib(usage.memory_limit_bytes)}`;
      figure.append(
        el('figcaption', `${usage.process} (v${usage.release}): ${cpuText}${memoryText}`),
        // Scaled to what was seen (a line at the bottom of a host-sized scale shows nothing).
        sparkline(history.cpu, Math.max(5, ...history.cpu) * 1.25, `CPU of ${usage.process}`),
        sparkline(history.memory, Math.max(...history.memory, 1) * 1.25, `Memory of ${usage.process}`),
      );
      return figure;
    }),
  );
}

function refreshApp(app: string): Promise<unknown> {
  return Promise.all([
    refreshDeploys(app),
    refreshReleases(app),
    refreshConfig(app),
    refreshProcesses(app),
    refreshDomains(app),
  ]);
}

export function appPage(): void {
  const app = byId('app').dataset.app ?? '';
  const told = metricsPanel(app);
  const configForm = byId('config-form', HTMLFormElement);
  configForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = byId('config-key', HTMLInputElement).value.trim();
    const value = byId('config-value', HTMLInputElement).value;
    void act(`Setting ${key}`, () =>
      api('PATCH', `/apps/${app}/config`, { set: { [key]: value } }).then(() => {
        configForm.reset();
        return refreshApp(app);
      }),
    );
  });
  const scaleForm = byId('scale-form', HTMLFormElement);
  scaleForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const counts = Object.fromEntries(
      [...scaleForm.querySelectorAll('input')].map((input) => [input.name, Number(input.value)]),
    );
    void act('Scaling', () => api('PUT', `/apps/${app}/processes/formation`, counts).then(() => refreshApp(app)));
  });
  // The page is read again whenever the app's summary changes (a deploy starts or ends, a
  // release, containers start or stop, domains), and the CPU and memory charts are sampled
  // while containers run and the page is seen.
  let seen = '';
  let running = false;
  watchApps((apps) => {
    const summary = apps.get(app);
    if (!summary) return say(`${app} no longer exists`, true);
    running = summary.processes > 0;
    const now = JSON.stringify(summary);
    if (now === seen) return;
    seen = now;
    refreshApp(app).catch(sayFailed);
  }, told);
  setInterval(() => {
    if (running && document.visibilityState === 'visible') refreshUsage(app).catch(sayFailed);
  }, USAGE_MS);
}
