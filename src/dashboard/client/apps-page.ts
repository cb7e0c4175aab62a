// The apps overview: every app the session may use, kept current from the event stream.
import { stateOf } from './format.js';
import { agoElement, el, fillTable, row, watchApps } from './page.js';

export function appsPage(): void {
  watchApps((apps) => {
    const rows = [...apps.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((app) => {
        const link = el('a', app.name, { href: `/apps/${encodeURIComponent(app.name)}` });
        const words = stateOf(app);
        const state = el('span', words, { class: `state ${words.replace(/ /g, '-')}` });
        let last: HTMLSpanElement | string = '-';
        if (app.deploy) {
          last = el('span', `${app.deploy.kind} ${app.deploy.status}, `);
          last.append(agoElement(app.deploy.started_at));
        }
        return row([link, state, app.release ? `v${app.release}` : '-', last, String(app.processes), app.vhosts]);
      });
    fillTable('#apps', rows.length ? rows : [row(['No apps yet: git push one'])]);
  });
}
