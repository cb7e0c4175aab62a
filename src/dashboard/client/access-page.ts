// Tokens and keys: the session's key's API tokens (an admin sees everyone's) made and revoked
// here, and (admins) the SSH keys that may connect. A token made here is bound to the token
// this session logged in with: it expires no later and is revoked with it.
import { act, badge, button, byId, command, el, field, fillTable, onSubmit, row, say, sayFailed } from './page.js';
import { readKeys, readTokens, type TokenJson } from './resources.js';

function tokenRow(token: TokenJson): HTMLTableRowElement {
  const revoke = button(
    'Revoke',
    () => {
      if (confirm(`Revoke the token ${token.name}? Whatever uses it (and tokens made with it) stops working.`))
        void act(`Revoking ${token.name}`, () => command(['tokens:revoke', token.id]).then(refreshTokens));
    },
    `Revoke token ${token.name}`,
    'small danger',
  );
  return row([
    el('strong', token.name),
    el('code', token.id),
    token.key,
    token.scope === 'scrape' ? badge('idle', 'metrics only') : badge('running', 'full'),
    token.expires,
    token.lastUsed,
    token.boundTo ? el('code', token.boundTo) : '',
    revoke,
  ]);
}

async function refreshTokens(): Promise<void> {
  const tokens = await readTokens();
  fillTable('#tokens', tokens.length ? tokens.map(tokenRow) : [row(['No tokens'])]);
}

function setUpTokenForm(): void {
  const form = byId('token-form', HTMLFormElement);
  const made = byId('token-made');
  onSubmit(form, (fields) => {
    const name = field(fields, 'name');
    const expires = field(fields, 'expires');
    const words = ['tokens:create', name, ...(expires ? ['--expires', expires] : [])];
    if (fields.get('scrape') === 'on') words.push('--scrape');
    void act(`Creating the token ${name}`, async () => {
      const secret = (await command(words)).at(-1) ?? '';
      form.reset();
      const value = byId('token-secret', HTMLInputElement);
      value.value = secret;
      made.hidden = false;
      value.focus();
      value.select();
      await refreshTokens();
    });
  });
  byId('token-copy').addEventListener('click', () => {
    // Only in a secure context (HTTPS, or localhost) has the browser a clipboard to give.
    if (!window.isSecureContext) return say('Select the token and copy it (the clipboard needs HTTPS)', true);
    void navigator.clipboard
      .writeText(byId('token-secret', HTMLInputElement).value)
      .then(() => say('Copied to the clipboard'), sayFailed);
  });
  byId('token-done').addEventListener('click', () => {
    byId('token-secret', HTMLInputElement).value = '';
    made.hidden = true;
  });
}

async function refreshKeys(): Promise<void> {
  const keys = await readKeys();
  fillTable(
    '#keys',
    keys.map((key) =>
      row([
        el('strong', key.name),
        el('code', key.fingerprint),
        key.admin ? badge('busy', 'admin') : badge('idle', 'granted apps'),
        button(
          'Remove',
          () => {
            if (confirm(`Remove the key ${key.name}? Its tokens are revoked with it.`))
              void act(`Removing ${key.name}`, () =>
                command(['ssh-keys:remove', key.name]).then(() => Promise.all([refreshKeys(), refreshTokens()])),
              );
          },
          `Remove key ${key.name}`,
          'small danger',
        ),
      ]),
    ),
  );
}

function setUpKeyForm(form: HTMLFormElement): void {
  onSubmit(form, (fields) => {
    const name = field(fields, 'name');
    const words = ['ssh-keys:add', name, ...(fields.get('admin') === 'on' ? ['--admin'] : [])];
    void act(`Adding the key ${name}`, () =>
      command(words, `${field(fields, 'key')}\n`).then(() => {
        form.reset();
        return refreshKeys();
      }),
    );
  });
}

export function accessPage(): void {
  setUpTokenForm();
  refreshTokens().catch(sayFailed);
  const keyForm = document.getElementById('key-form');
  if (!(keyForm instanceof HTMLFormElement)) return; // not an admin: keys are an admin's
  setUpKeyForm(keyForm);
  refreshKeys().catch(sayFailed);
}
