// Slipway's dashboard: reads and changes everything through /api/v1 with the session cookie;
// changes carry the page's CSRF token. Pages refresh their data in place, never reloading.
'use strict';

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const REFRESH_MS = 3000;

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

// --- apps overview ------------------------------------------------------------------------

function stateOf(report) {
  const ps = report.ps ?? {};
  if (ps.deployed !== 'true') return 'not deployed';
  if (ps.stopped === 'true') return 'stopped';
  return ps.running === 'true' ? 'running' : ps.running === 'mixed' ? 'partly running' : 'failed';
}

async function appsPage() {
  const body = document.querySelector('#apps tbody');
  every(REFRESH_MS, async () => {
    const names = await api('GET', '/apps');
    const rows = await Promise.all(
      names.map(async (name) => {
        const [report, deploys, releases] = await Promise.all([api('GET', `/apps/${name}`), api('GET', `/apps/${name}/deploys`), api('GET', `/apps/${name}/releases`)]);
        const current = releases.find((r) => r.current);
        const last = deploys[0];
        const link = el('a', name, { href: `/apps/${encodeURIComponent(name)}` });
        const state = el('span', stateOf(report), { class: `state ${stateOf(report).replace(/ /g, '-')}` });
        return row([link, state, current ? `v${current.version}` : '-', last ? `${last.kind} ${last.status}, ${ago(last.started_at)}` : '-', report.ps?.processes ?? '0', report.domains?.['app-vhosts'] ?? '']);
      }),
    );
    body.replaceChildren(...(rows.length ? rows : [row(['No apps yet: git push one'])]));
  });
}

// --- one app --------------------------------------------------------------------------------

let followed;

/** Shows a deploy's log, following it live while it runs (server-sent events). */
function showDeployLog(app, deploy) {
  if (followed?.id === deploy.id) return;
  followed?.source.close();
  const log = document.getElementById('deploy-log');
  log.textContent = '';
  const source = new EventSource(`/api/v1/apps/${app}/deploys/${deploy.id}/log`);
  followed = { id: deploy.id, source };
  source.addEventListener('line', (event) => {
    log.append(`${event.data}\n`);
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
  document.querySelector('#deploys tbody').replaceChildren(
    ...deploys.slice(0, 20).map((d) => {
      const open = el('button', d.id.slice(0, 8), { type: 'button', 'aria-label': `Show the log of deploy ${d.id.slice(0, 8)}` });
      open.addEventListener('click', () => showDeployLog(app, d));
      return row([open, d.release ? `v${d.release}` : '-', d.kind, d.status, ago(d.started_at), d.requested_by]);
    }),
  );
  const running = deploys.find((d) => d.status === 'running' || d.status === 'queued');
  if (running || !followed) if (deploys[0]) showDeployLog(app, running ?? deploys[0]);
}

async function refreshReleases(app) {
  const releases = await api('GET', `/apps/${app}/releases`);
  const current = releases.find((r) => r.current);
  document.querySelector('#releases tbody').replaceChildren(
    ...releases.slice(0, 20).map((r) => {
      let action = r.current ? 'current' : '';
      if (!r.current && r.status === 'succeeded' && current) {
        action = el('button', `Roll back to v${r.version}`, { type: 'button' });
        action.addEventListener('click', () => {
          if (!confirm(`Roll ${app} back to v${r.version}?`)) return;
          act(`Rolling back to v${r.version}`, () => api('POST', `/apps/${app}/releases/rollback`, { version: r.version }).then(() => refreshApp(app)));
        });
      }
      return row([`v${r.version}`, r.kind, r.description, ago(r.created_at), action]);
    }),
  );
}

async function refreshConfig(app) {
  const { config } = await api('GET', `/apps/${app}/config`);
  document.querySelector('#config tbody').replaceChildren(
    ...Object.keys(config).map((key) => {
      const value = el('code', config[key]);
      const reveal = el('button', 'Reveal', { type: 'button', 'aria-label': `Reveal ${key}` });
      reveal.addEventListener('click', async () => {
        const revealed = await api('GET', `/apps/${app}/config?reveal=true`);
        value.textContent = revealed.config[key] ?? '';
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
  document.getElementById('containers').replaceChildren(...containers.map(([key, value]) => el('li', `${key.slice(7).replace(/-(\d+)$/, '.$1')}: ${value}`)));
  document.getElementById('summary').textContent = `${stateOf({ ps: report })}, ${report.processes} container(s)`;
}

async function refreshDomains(app) {
  const domains = await api('GET', `/apps/${app}/domains`);
  const list = (domains['app-vhosts'] ?? '').split(' ').filter(Boolean);
  document.getElementById('domains').replaceChildren(...list.map((domain) => el('li', domain)));
}

async function refreshLogs(app) {
  const response = await fetch('/api/v1/commands', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ command: ['logs', app, '--num', '50'] }),
  });
  const lines = (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((entry) => entry.line !== undefined);
  const logs = document.getElementById('app-logs');
  logs.textContent = lines.map((entry) => entry.line).join('\n');
}

function refreshApp(app) {
  return Promise.all([refreshDeploys(app), refreshReleases(app), refreshConfig(app), refreshProcesses(app), refreshDomains(app), refreshLogs(app)]);
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
  every(REFRESH_MS, () => refreshApp(app));
}

document.addEventListener('DOMContentLoaded', () => {
  const page = document.querySelector('[data-page]')?.dataset.page;
  if (page === 'apps') appsPage();
  if (page === 'app') appPage();
});
