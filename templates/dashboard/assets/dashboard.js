// Slipway's dashboard: reads and changes everything through /api/v1 with the session cookie;
// changes carry the page's CSRF token. Pages refresh their data in place, never reloading:
// the apps and app pages learn what changed from one event stream (/api/v1/events), not by
// polling, so any number of apps and open pages stays far below the API's rate limit.
'use strict';

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const REFRESH_MS = 3000;
/** Reading usage makes the engine sample each container for about a second. */
const USAGE_MS = 5000;
/** How often "… ago" is written again (from what the page has, no request). */
const AGES_MS = 10_000;
/** After the stream was refused or the daemon went away for good, a new one is opened this much later. */
const REOPEN_MS = 5000;

async function api(method, path, body) {
  const headers = { 'x-csrf-token': csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (response.status === 401) location.assign('/login');
  const data = response.status === 204 ? undefined : await response.json();
  if (!response.ok) throw new Error(data?.error ?? `status ${response.status}`);
  return data;
}

/** An element with text (never HTML: every value shown is data). */
function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function row(cells) {
  const tr = el('tr');
  for (const cell of cells) {
    const td = el('td');
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell ?? '';
    tr.append(td);
  }
  return tr;
}

/** Fills a table's body; each cell is labelled with its column's heading, shown beside it on a phone's width. */
function fillTable(selector, rows) {
  const table = document.querySelector(selector);
  const headings = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  for (const tr of rows) [...tr.children].forEach((td, i) => headings[i] && td.setAttribute('data-label', headings[i]));
  table.querySelector('tbody').replaceChildren(...rows);
}

/** "… ago" for a time, in a <time> element that keepAgesFresh writes again as it gets older. */
function agoElement(iso) {
  return el('time', ago(iso), { datetime: iso ?? '' });
}

/** Ages on the page are written again from the times they show: no request needed. */
function keepAgesFresh() {
  setInterval(() => document.querySelectorAll('time[datetime]').forEach((node) => (node.textContent = ago(node.getAttribute('datetime')))), AGES_MS);
}

function ago(iso) {
  if (!iso) return '';
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

function say(text, isError = false) {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = text;
  status.className = isError ? 'error' : '';
}

async function act(description, work) {
  say(`${description}…`);
  try {
    await work();
    say(`${description}: done`);
  } catch (error) {
    say(`${description} failed: ${error.message}`, true);
  }
}

function every(ms, refresh) {
  const run = () => refresh().catch((error) => say(error.message, true));
  run();
  setInterval(run, ms);
}

/**
 * Follows the event stream of the apps this session may use: `onApps` gets every app's
 * summary (a Map by name) at connect and after each change. EventSource reconnects by
 * itself (and gets a fresh snapshot); a stream refused outright (logged out, too many open)
 * is looked into, then opened again a little later.
 */
function watchApps(onApps) {
  const apps = new Map();
  const source = new EventSource('/api/v1/events');
  const changed = () => onApps(apps);
  source.addEventListener('snapshot', (event) => {
    apps.clear();
    for (const summary of JSON.parse(event.data)) apps.set(summary.name, summary);
    changed();
  });
  source.addEventListener('app', (event) => {
    const summary = JSON.parse(event.data);
    apps.set(summary.name, summary);
    changed();
  });
  source.addEventListener('app-removed', (event) => {
    apps.delete(JSON.parse(event.data).name);
    changed();
  });
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) return; // reconnecting by itself
    api('GET', '/apps').catch((error) => say(error.message, true)); // a 401 goes to the login page
    setTimeout(() => watchApps(onApps), REOPEN_MS);
  });
}

// --- apps overview ------------------------------------------------------------------------

/** An app's state in words, from its summary ({deployed, stopped, running}). */
function stateOf({ deployed, stopped, running }) {
  if (!deployed) return 'not deployed';
  if (stopped) return 'stopped';
  return running === 'true' ? 'running' : running === 'mixed' ? 'partly running' : 'failed';
}

function appsPage() {
  watchApps((apps) => {
    const rows = [...apps.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((app) => {
        const link = el('a', app.name, { href: `/apps/${encodeURIComponent(app.name)}` });
        const words = stateOf(app);
        const state = el('span', words, { class: `state ${words.replace(/ /g, '-')}` });
        const last = app.deploy ? el('span', `${app.deploy.kind} ${app.deploy.status}, `) : '-';
        if (app.deploy) last.append(agoElement(app.deploy.started_at));
        return row([link, state, app.release ? `v${app.release}` : '-', last, String(app.processes), app.vhosts]);
      });
    fillTable('#apps', rows.length ? rows : [row(['No apps yet: git push one'])]);
  });
}

// --- one app --------------------------------------------------------------------------------

let followed;
/** The deploy the page last switched to by itself; a log opened by hand stays until a newer deploy. */
let autoFollowed;

/** Shows a deploy's log, following it live while it runs (server-sent events). */
function showDeployLog(app, deploy) {
  if (followed?.id === deploy.id) return;
  followed?.source.close();
  const log = document.getElementById('deploy-log');
  log.textContent = '';
  // Each event's data is JSON; a reconnect sends the last event's id and gets only what follows.
  const source = new EventSource(`/api/v1/apps/${app}/deploys/${deploy.id}/log`);
  followed = { id: deploy.id, source };
  source.addEventListener('line', (event) => {
    log.append(`${JSON.parse(event.data)}\n`);
    log.scrollTop = log.scrollHeight;
  });
  source.addEventListener('end', (event) => {
    const result = JSON.parse(event.data);
    log.append(result.ok ? '\n(deploy succeeded)\n' : `\n(deploy failed: ${result.message ?? ''})\n`);
    source.close();
  });
}

async function refreshDeploys(app) {
  const deploys = await api('GET', `/apps/${app}/deploys`);
  fillTable('#deploys',
    deploys.slice(0, 20).map((d) => {
      const open = el('button', d.id.slice(0, 8), { type: 'button', 'aria-label': `Show the log of deploy ${d.id.slice(0, 8)}` });
      open.addEventListener('click', () => showDeployLog(app, d));
      return row([open, d.release ? `v${d.release}` : '-', d.kind, d.status, agoElement(d.started_at), d.requested_by]);
    }),
  );
  // A deploy that started and finished between two refreshes is still shown, whole.
  const latest = deploys.find((d) => d.status === 'running' || d.status === 'queued') ?? deploys[0];
  if (latest && latest.id !== autoFollowed) {
    autoFollowed = latest.id;
    showDeployLog(app, latest);
  }
}

async function refreshReleases(app) {
  const releases = await api('GET', `/apps/${app}/releases`);
  const current = releases.find((r) => r.current);
  fillTable('#releases',
    releases.slice(0, 20).map((r) => {
      let action = r.current ? 'current' : '';
      if (!r.current && r.status === 'succeeded' && current) {
        action = el('button', `Roll back to v${r.version}`, { type: 'button' });
        action.addEventListener('click', () => {
          if (!confirm(`Roll ${app} back to v${r.version}?`)) return;
          act(`Rolling back to v${r.version}`, () => api('POST', `/apps/${app}/releases/rollback`, { version: r.version }).then(() => refreshApp(app)));
        });
      }
      return row([`v${r.version}`, r.kind, r.description, agoElement(r.created_at), action]);
    }),
  );
}

// Keys whose values the user revealed stay revealed across refreshes, until hidden again.
const revealedKeys = new Set();

async function refreshConfig(app) {
  const { config } = await api('GET', `/apps/${app}/config`);
  const values = revealedKeys.size > 0 ? (await api('GET', `/apps/${app}/config?reveal=true`)).config : {};
  fillTable('#config',
    Object.keys(config).map((key) => {
      const shown = revealedKeys.has(key);
      const value = el('code', shown ? (values[key] ?? '') : config[key]);
      const reveal = el('button', shown ? 'Hide' : 'Reveal', { type: 'button', 'aria-label': `${shown ? 'Hide' : 'Reveal'} ${key}` });
      reveal.addEventListener('click', () => {
        if (shown) revealedKeys.delete(key);
        else revealedKeys.add(key);
        refreshConfig(app).catch((error) => say(error.message, true));
      });
      const remove = el('button', 'Remove', { type: 'button', 'aria-label': `Remove ${key}` });
      remove.addEventListener('click', () => {
        if (confirm(`Remove ${key} from ${app}? The app restarts without it.`)) act(`Removing ${key}`, () => api('PATCH', `/apps/${app}/config`, { unset: [key] }).then(() => refreshApp(app)));
      });
      const actions = el('span');
      actions.append(reveal, ' ', remove);
      return row([key, value, actions]);
    }),
  );
}

async function refreshProcesses(app) {
  const { formation, report } = await api('GET', `/apps/${app}/processes`);
  const holder = document.getElementById('formation');
  if (!holder.contains(document.activeElement)) {
    holder.replaceChildren(
      ...Object.entries(formation).map(([type, count]) => {
        const label = el('label', `${type} `, { for: `scale-${type}` });
        const input = el('input', undefined, { id: `scale-${type}`, name: type, type: 'number', min: '0', max: '100', value: String(count) });
        label.append(input);
        return label;
      }),
    );
  }
  const containers = Object.entries(report).filter(([key]) => key.startsWith('status-'));
  followLogs(app, containers.map(([key, value]) => `${key}=${value}`).join(' '));
  document.getElementById('containers').replaceChildren(...containers.map(([key, value]) => el('li', `${key.slice(7).replace(/-(\d+)$/, '.$1')}: ${value}`)));
  const state = stateOf({ deployed: report.deployed === 'true', stopped: report.stopped === 'true', running: report.running });
  document.getElementById('summary').textContent = `${state}, ${report.processes} container(s)`;
}

async function refreshDomains(app) {
  const domains = await api('GET', `/apps/${app}/domains`);
  const list = (domains['app-vhosts'] ?? '').split(' ').filter(Boolean);
  document.getElementById('domains').replaceChildren(...list.map((domain) => el('li', domain)));
}

// The app's container logs, followed live (`logs --tail` through /commands, read as it
// streams). The follow ends when its containers stop, and is started again whenever the set
// of running containers changes, so a deploy or a scale shows the new containers' lines.
const LOG_LINES = 500;
const FOLLOW_RETRY_MS = 2000;
let logFollow;

function appendLog(line) {
  const logs = document.getElementById('app-logs');
  const atEnd = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
  const lines = `${logs.textContent}${line}\n`.split('\n');
  logs.textContent = lines.slice(Math.max(0, lines.length - 1 - LOG_LINES)).join('\n');
  if (atEnd) logs.scrollTop = logs.scrollHeight;
}

async function followLogsOnce(app, signal) {
  const response = await fetch('/api/v1/commands', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ command: ['logs', app, '--num', '50', '--tail'] }),
    signal,
  });
  if (response.status === 401) return location.assign('/login');
  document.getElementById('app-logs').textContent = '';
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let partial = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const lines = (partial + value).split('\n');
    partial = lines.pop();
    for (const entry of lines.filter(Boolean).map((line) => JSON.parse(line))) {
      if (entry.line !== undefined) appendLog(entry.line.replace(/^ ! {5}/, ''));
    }
  }
}

/** Follows the logs of the containers named by `containers` (restarting when that changes); none: nothing to follow. */
function followLogs(app, containers) {
  if (logFollow?.containers === containers) return;
  logFollow?.controller.abort();
  if (containers === '') {
    logFollow = { containers, controller: new AbortController() };
    return;
  }
  const follow = { containers, controller: new AbortController() };
  logFollow = follow;
  (async () => {
    while (!follow.controller.signal.aborted) {
      await followLogsOnce(app, follow.controller.signal).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_RETRY_MS));
    }
  })();
}

// The last few minutes of each container's CPU and memory, as small line charts.
const USAGE_POINTS = 60;
const usageHistory = new Map();

function sparkline(values, max, label) {
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', `0 0 ${USAGE_POINTS} 20`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const line = document.createElementNS(svgNs, 'polyline');
  const top = Math.max(max, 1e-9);
  line.setAttribute('points', values.map((v, i) => `${i + USAGE_POINTS - values.length},${20 - (Math.min(v, top) / top) * 19}`).join(' '));
  svg.append(line);
  return svg;
}

async function refreshUsage(app) {
  const rows = await api('GET', `/apps/${app}/processes/usage`);
  const holder = document.getElementById('usage');
  const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  holder.replaceChildren(
    ...rows.map((row) => {
      const history = usageHistory.get(row.process) ?? { cpu: [], memory: [] };
      usageHistory.set(row.process, history);
      if (row.cpu_percent !== null) history.cpu = [...history.cpu, row.cpu_percent].slice(-USAGE_POINTS);
      if (row.memory_bytes !== null) history.memory = [...history.memory, row.memory_bytes].slice(-USAGE_POINTS);
      const figure = el('figure');
      const cpuText = row.cpu_percent === null ? 'not reachable from here' : `${row.cpu_percent}% CPU`;
      const memoryText = row.memory_bytes === null ? '' : `, ${mib(row.memory_bytes)} of ${mib(row.memory_limit_bytes)}`;
      figure.append(
        el('figcaption', `${row.process} (v${row.release}): ${cpuText}${memoryText}`),
        // Scaled to what was seen (a line at the bottom of a host-sized scale shows nothing).
        sparkline(history.cpu, Math.max(5, ...history.cpu) * 1.25, `CPU of ${row.process}`),
        sparkline(history.memory, Math.max(...history.memory, 1) * 1.25, `Memory of ${row.process}`),
      );
      return figure;
    }),
  );
}

function refreshApp(app) {
  return Promise.all([refreshDeploys(app), refreshReleases(app), refreshConfig(app), refreshProcesses(app), refreshDomains(app)]);
}

async function appPage() {
  const app = document.getElementById('app').dataset.app;
  document.getElementById('config-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const key = form.key.value.trim();
    act(`Setting ${key}`, () => api('PATCH', `/apps/${app}/config`, { set: { [key]: form.value.value } }).then(() => {
      form.reset();
      return refreshApp(app);
    }));
  });
  document.getElementById('scale-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const counts = Object.fromEntries([...event.target.querySelectorAll('input')].map((input) => [input.name, Number(input.value)]));
    act('Scaling', () => api('PUT', `/apps/${app}/processes/formation`, counts).then(() => refreshApp(app)));
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
    refreshApp(app).catch((error) => say(error.message, true));
  });
  setInterval(() => {
    if (running && document.visibilityState === 'visible') refreshUsage(app).catch((error) => say(error.message, true));
  }, USAGE_MS);
}

// --- services --------------------------------------------------------------------------------

function serviceCard(type, service, apps, backups) {
  const base = `/services/${type}/${service.name}`;
  const card = el('section', undefined, { class: 'service', 'aria-label': `${type} ${service.name}` });
  card.append(el('h2', `${service.name} (${type}, ${service.status})`));

  const links = el('ul');
  for (const app of service.links) {
    const unlink = el('button', 'Unlink', { type: 'button', 'aria-label': `Unlink ${app}` });
    unlink.addEventListener('click', () => {
      if (confirm(`Unlink ${service.name} from ${app}? The app restarts without it.`)) act(`Unlinking ${app}`, () => api('DELETE', `${base}/links/${app}`).then(refreshServices));
    });
    const item = el('li', `${app} `);
    item.append(unlink);
    links.append(item);
  }
  const unlinked = apps.filter((app) => !service.links.includes(app));
  const form = el('form', undefined, { class: 'link-form' });
  const select = el('select', undefined, { 'aria-label': `App to link ${service.name} to`, name: 'app' });
  select.append(...unlinked.map((app) => el('option', app, { value: app })));
  form.append(select, ' ', el('button', 'Link', { type: 'submit' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(`Linking ${select.value}`, () => api('POST', `${base}/links`, { app: select.value }).then(refreshServices));
  });

  const backupList = el('ul');
  for (const backup of backups) {
    const item = el('li');
    item.append(el('a', `${backup.created_at} (${backup.bytes} bytes)`, { href: `/api/v1${base}/backups/${backup.dir}/${backup.file}`, download: backup.file }));
    backupList.append(item);
  }
  const take = el('button', 'Take a backup', { type: 'button' });
  take.addEventListener('click', () => act(`Backing up ${service.name}`, () => api('POST', `${base}/backups`).then(refreshServices)));

  card.append(el('h3', 'Linked apps'), links, ...(unlinked.length ? [form] : []), el('h3', 'Backups'), backupList, take);
  return card;
}

async function refreshServices() {
  const [services, apps] = await Promise.all([api('GET', '/services'), api('GET', '/apps')]);
  const cards = [];
  for (const [type, list] of Object.entries(services)) {
    for (const service of list) cards.push(serviceCard(type, service, apps, await api('GET', `/services/${type}/${service.name}/backups`)));
  }
  document.getElementById('services').replaceChildren(...(cards.length ? cards : [el('p', 'No services yet')]));
}

function servicesPage() {
  const form = document.getElementById('service-form');
  if (!form) return;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const type = document.getElementById('service-type').value;
    const name = document.getElementById('service-name').value.trim();
    act(`Creating ${name}`, () => api('POST', `/services/${type}`, { name }).then(() => {
      form.reset();
      return refreshServices();
    }));
  });
  every(REFRESH_MS * 2, refreshServices);
}

document.addEventListener('DOMContentLoaded', () => {
  keepAgesFresh();
  const page = document.querySelector('[data-page]')?.dataset.page;
  if (page === 'apps') appsPage();
  if (page === 'app') appPage();
  if (page === 'services') servicesPage();
});
