// The services page (admins): create database services (every kind), link and unlink apps, take
// and download backups.
import type { AppJson, BackupJson, Page, ServiceItemJson, ServiceJson } from '../../model/api.js';
import { act, api, apiAll, byId, el, every } from './page.js';

/** Services are not in the event stream: the page reads them again this often. */
const REFRESH_MS = 6000;

/** A local dump downloads from the daemon; a bucket's backup is named (and failures say why). */
function backupEntry(base: string, backup: BackupJson): HTMLElement {
  if (backup.where === 'local') {
    return el('a', `${backup.created_at} (${backup.bytes} bytes)`, {
      href: `/api/v1${base}/backups/${backup.dir}/${backup.file}`,
      download: backup.file,
    });
  }
  if (backup.status === 'failed') return el('span', `${backup.created_at} failed: ${backup.error ?? 'unknown error'}`);
  return el('span', `${backup.created_at} (${backup.bytes} bytes) in s3://${backup.dir}, id ${backup.id}`);
}

function serviceCard(type: string, service: ServiceJson, apps: string[], backups: BackupJson[]): HTMLElement {
  const base = `/services/${type}/${service.name}`;
  const card = el('section', undefined, { class: 'service', 'aria-label': `${type} ${service.name}` });
  card.append(el('h2', `${service.name} (${type}, ${service.status})`));

  const links = el('ul');
  for (const app of service.links) {
    const unlink = el('button', 'Unlink', { type: 'button', 'aria-label': `Unlink ${app}` });
    unlink.addEventListener('click', () => {
      if (confirm(`Unlink ${service.name} from ${app}? The app restarts without it.`))
        void act(`Unlinking ${app}`, () => api('DELETE', `${base}/links/${app}`).then(refreshServices));
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
    void act(`Linking ${select.value}`, () =>
      api('POST', `${base}/links`, { app: select.value }).then(refreshServices),
    );
  });

  const backupList = el('ul');
  for (const backup of backups) {
    const item = el('li');
    item.append(backupEntry(base, backup));
    backupList.append(item);
  }
  const take = el('button', 'Take a backup', { type: 'button' });
  take.addEventListener(
    'click',
    () => void act(`Backing up ${service.name}`, () => api('POST', `${base}/backups`).then(refreshServices)),
  );

  card.append(
    el('h3', 'Linked apps'),
    links,
    ...(unlinked.length ? [form] : []),
    el('h3', 'Backups'),
    backupList,
    take,
  );
  return card;
}

async function refreshServices(): Promise<void> {
  const [services, apps] = await Promise.all([
    apiAll<ServiceItemJson>('/services'),
    apiAll<AppJson>('/apps').then((list) => list.map((app) => app.name)),
  ]);
  const cards = [];
  for (const { type, ...service } of services) {
    const backups = await api<Page<BackupJson>>('GET', `/services/${type}/${service.name}/backups`);
    cards.push(serviceCard(type, service, apps, backups.items));
  }
  byId('services').replaceChildren(...(cards.length ? cards : [el('p', 'No services yet')]));
}

export function servicesPage(): void {
  const form = document.getElementById('service-form');
  if (!(form instanceof HTMLFormElement)) return; // not an admin: nothing to manage
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const type = byId('service-type', HTMLSelectElement).value;
    const name = byId('service-name', HTMLInputElement).value.trim();
    void act(`Creating ${name}`, () =>
      api('POST', `/services/${type}`, { name }).then(() => {
        form.reset();
        return refreshServices();
      }),
    );
  });
  every(REFRESH_MS, refreshServices);
}
