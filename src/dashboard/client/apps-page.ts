// The apps overview: every app the session may use, kept current from the event stream, and
// (for admins) a form that creates one.
import { stateOf } from './format.js';
import {
  act,
  agoElement,
  badge,
  busyUntilShown,
  command,
  el,
  field,
  fillTable,
  onSubmit,
  row,
  watchApps,
} from './page.js';

export function appsPage(): void {
  const form = document.getElementById('create-app-form');
  if (form instanceof HTMLFormElement) {
    onSubmit(form, (fields) => {
      const name = field(fields, 'name');
      void act(`Creating ${name}`, () => command(['apps:create', name]).then(() => form.reset()));
    });
  }
  const shown = busyUntilShown();
  watchApps((apps) => {
    const rows = [...apps.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((app) => {
        const link = el('a', app.name, { href: `/apps/${encodeURIComponent(app.name)}`, class: 'app-name' });
        const words = stateOf(app);
        const state = badge(words);
        state.classList.add('state', words.replace(/ /g, '-'));
        let last: HTMLSpanElement | string = '-';
        if (app.deploy) {
          last = el('span', `${app.deploy.kind} `, { class: 'last-deploy' });
          last.append(badge(app.deploy.status), ' ', agoElement(app.deploy.started_at));
        }
        return row([link, state, app.release ? `v${app.release}` : '-', last, String(app.processes), app.vhosts]);
      });
    document.getElementById('app-count')?.replaceChildren(`${apps.size} app${apps.size === 1 ? '' : 's'}`);
    fillTable('#apps', rows.length ? rows : [row(['No apps yet: create one, or git push one'])]);
    shown();
  });
}
