// The app page's deploys, as a timeline (newest first, each with its status, release, who and
// how long), the log of one of them (the running one's live), and the releases with rollback.
import type { DeployEnd, DeployJson } from '../../model/api.js';
import type { AppSection } from './app-page.js';
import { deployOutcome, deployToFollow, duration } from './format.js';
import { logViewer, type LogViewer } from './log-viewer.js';
import { act, agoElement, badge, button, byId, command, el, eventData, fillTable, row, show } from './page.js';
import { readDeploys, readReleases } from './resources.js';

/** A deploy log may be long (a build's output): this many lines are kept on the page. */
const DEPLOY_LOG_LINES = 20_000;
const TIMELINE_LENGTH = 20;

const short = (id: string) => id.slice(0, 8);

export const deploysSection: AppSection = (app) => {
  const viewer: LogViewer = logViewer(byId('deploy-log'), 'deploy log', DEPLOY_LOG_LINES);
  let followed: { id: string; source: EventSource } | undefined;
  /** The deploy the page last switched to by itself; a log opened by hand stays until a newer deploy. */
  let autoFollowed: string | undefined;
  let last: DeployJson[] = [];

  /** Shows a deploy's log, following it live while it runs (server-sent events). */
  function showLog(deploy: DeployJson): void {
    if (followed?.id === deploy.id) return;
    followed?.source.close();
    viewer.clear();
    byId('deploy-log-title').textContent = `Log of deploy ${short(deploy.id)}`;
    // Each event's data is JSON; a reconnect sends the last event's id and gets only what follows.
    const source = new EventSource(`/api/v1/apps/${app}/deploys/${deploy.id}/log`);
    followed = { id: deploy.id, source };
    source.addEventListener('line', (event) => viewer.append(eventData<string>(event)));
    source.addEventListener('end', (event) => {
      viewer.append(deployOutcome(eventData<DeployEnd>(event)).trim());
      source.close();
    });
    drawTimeline();
  }

  function drawTimeline(): void {
    const items = last.slice(0, TIMELINE_LENGTH).map((d) => {
      const item = el('li', undefined, { class: 'deploy', 'data-status': d.status });
      if (d.id === followed?.id) item.setAttribute('aria-current', 'true');
      const head = el('div', undefined, { class: 'deploy-head' });
      head.append(
        badge(d.status),
        el('strong', d.release ? `v${d.release}` : 'no release'),
        el('span', d.kind, { class: 'muted' }),
        el('code', d.rev ? d.rev.slice(0, 7) : short(d.id), { class: 'muted' }),
      );
      const meta = el('div', undefined, { class: 'deploy-meta muted' });
      meta.append(
        agoElement(d.started_at),
        ` · ${d.status === 'queued' ? 'waiting' : duration(d.started_at, d.finished_at)} · by ${d.requested_by}`,
      );
      item.append(
        head,
        meta,
        ...(d.error ? [el('p', d.error, { class: 'deploy-error' })] : []),
        button('Log', () => showLog(d), `Show the log of deploy ${short(d.id)}`, 'small'),
      );
      return item;
    });
    show(byId('deploys'), [...(items.length ? items : [el('li', 'No deploys yet: git push one', { class: 'empty' })])]);
  }

  return async () => {
    last = await readDeploys(app);
    drawTimeline();
    const latest = deployToFollow(last);
    if (latest && latest.id !== autoFollowed) {
      autoFollowed = latest.id;
      showLog(latest);
    }
  };
};

export const releasesSection: AppSection = (app, changed) => async () => {
  const releases = await readReleases(app);
  const current = releases.find((r) => r.current);
  fillTable(
    '#releases',
    releases.slice(0, 20).map((r) => {
      let action: Node | string = r.current ? badge('running', 'current') : '';
      if (!r.current && r.status === 'succeeded' && current) {
        action = button(`Roll back to v${r.version}`, () => {
          if (!confirm(`Roll ${app} back to v${r.version}?`)) return;
          void act(`Rolling back to v${r.version}`, () =>
            command(['releases:rollback', app, `v${r.version}`]).then(changed),
          );
        });
      }
      return row([
        el('strong', `v${r.version}`),
        badge(r.status),
        r.kind,
        r.description,
        agoElement(r.created_at),
        action,
      ]);
    }),
  );
};
