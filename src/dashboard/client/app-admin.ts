// What only an admin does on the app page: grant keys the app (acl), and destroy it after
// typing its name (the confirmation apps:destroy itself checks, as Dokku's does).
import type { AppSection } from './app-page.js';
import { act, button, byId, command, el, field, onSubmit, show } from './page.js';
import { readGrants, readKeys } from './resources.js';

export const grantsSection: AppSection = (app, changed) => {
  const form = document.getElementById('grant-form');
  if (!(form instanceof HTMLFormElement)) return async () => {}; // not an admin
  const select = byId('grant-key', HTMLSelectElement);
  onSubmit(form, (fields) => {
    const key = field(fields, 'key');
    void act(`Granting ${app} to ${key}`, () => command(['acl:add', app, key]).then(changed));
  });
  return async () => {
    const [granted, keys] = await Promise.all([readGrants(app), readKeys()]);
    show(byId('grants'), [
      ...granted.map((key) => {
        const item = el('li');
        item.append(
          el('span', key),
          button(
            'Revoke',
            () => void act(`Taking ${app} from ${key}`, () => command(['acl:remove', app, key]).then(changed)),
            `Revoke ${key}'s access`,
            'small danger',
          ),
        );
        return item;
      }),
      ...(granted.length ? [] : [el('li', 'Only admin keys may use it', { class: 'empty' })]),
    ]);
    const grantable = keys.filter((k) => !k.admin && !granted.includes(k.name)).map((k) => k.name);
    if (!form.contains(document.activeElement))
      select.replaceChildren(...grantable.map((name) => el('option', name, { value: name })));
    form.hidden = grantable.length === 0;
  };
};

export const destroySection: AppSection = (app) => {
  const dialog = document.getElementById('destroy-dialog');
  if (!(dialog instanceof HTMLDialogElement)) return async () => {}; // not an admin
  const form = byId('destroy-form', HTMLFormElement);
  const typed = byId('destroy-name', HTMLInputElement);
  const confirmButton = byId('destroy-confirm', HTMLButtonElement);
  byId('destroy-open').addEventListener('click', () => {
    form.reset();
    confirmButton.disabled = true;
    dialog.showModal();
  });
  byId('destroy-cancel').addEventListener('click', () => dialog.close());
  typed.addEventListener('input', () => (confirmButton.disabled = typed.value !== app));
  onSubmit(form, (fields) => {
    dialog.close();
    void act(`Destroying ${app}`, async () => {
      await command(['apps:destroy', app], `${field(fields, 'name')}\n`);
      location.assign('/');
    });
  });
  return async () => {};
};
