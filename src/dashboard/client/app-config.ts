// The app page's config vars: masked until revealed one at a time, set and removed (each a
// new release that restarts the app, as config:set and config:unset).
import type { AppSection } from './app-page.js';
import { act, button, byId, command, el, field, fillTable, onSubmit, row, sayFailed } from './page.js';
import { readConfig } from './resources.js';

export const configSection: AppSection = (app, changed) => {
  // Keys whose values the user revealed stay revealed across refreshes, until hidden again.
  const revealed = new Set<string>();

  const refresh = async (): Promise<void> => {
    const config = await readConfig(app);
    const values = revealed.size > 0 ? await readConfig(app, true) : {};
    fillTable(
      '#config',
      Object.keys(config).map((key) => {
        const shown = revealed.has(key);
        const value = el('code', shown ? (values[key] ?? '') : config[key]);
        const reveal = button(
          shown ? 'Hide' : 'Reveal',
          () => {
            if (shown) revealed.delete(key);
            else revealed.add(key);
            refresh().catch(sayFailed);
          },
          `${shown ? 'Hide' : 'Reveal'} ${key}`,
          'small',
        );
        const remove = button(
          'Remove',
          () => {
            if (confirm(`Remove ${key} from ${app}? The app restarts without it.`))
              void act(`Removing ${key}`, () => command(['config:unset', app, key]).then(changed));
          },
          `Remove ${key}`,
          'small danger',
        );
        const actions = el('span', undefined, { class: 'actions' });
        actions.append(reveal, remove);
        return row([el('code', key), value, actions]);
      }),
    );
  };

  const form = byId('config-form', HTMLFormElement);
  onSubmit(form, (fields) => {
    const key = field(fields, 'key');
    void act(`Setting ${key}`, () =>
      command(['config:set', app, `${key}=${field(fields, 'value', true)}`]).then(() => {
        form.reset();
        changed();
      }),
    );
  });
  return refresh;
};
