// The app page's domains (add, remove) and HTTPS: the certificate it serves, one to install
// (PEM certificate and key), or Let's Encrypt to get and renew one (letsencrypt:enable).
import type { AppSection } from './app-page.js';
import { act, badge, button, byId, command, el, field, onSubmit, show } from './page.js';
import { readDomains, readHttps } from './resources.js';

export const domainsSection: AppSection = (app, changed) => {
  const form = byId('domain-form', HTMLFormElement);
  onSubmit(form, (fields) => {
    const domain = field(fields, 'domain');
    void act(`Adding ${domain}`, () =>
      command(['domains:add', app, domain]).then(() => {
        form.reset();
        changed();
      }),
    );
  });
  return async () => {
    const domains = await readDomains(app);
    show(byId('domains'), [
      ...domains.map((domain) => {
        const item = el('li');
        item.append(
          el('span', domain, { class: 'domain' }),
          button(
            'Remove',
            () => {
              if (confirm(`Remove ${domain} from ${app}?`))
                void act(`Removing ${domain}`, () => command(['domains:remove', app, domain]).then(changed));
            },
            `Remove ${domain}`,
            'small danger',
          ),
        );
        return item;
      }),
      ...(domains.length ? [] : [el('li', 'No domains', { class: 'empty' })]),
    ]);
  };
};

export const httpsSection: AppSection = (app, changed) => {
  const form = byId('cert-form', HTMLFormElement);
  onSubmit(form, (fields) => {
    const pem = `${field(fields, 'certificate')}\n${field(fields, 'key')}\n`;
    void act('Installing the certificate', () =>
      command(['certs:add', app], pem).then(() => {
        form.reset();
        changed();
      }),
    );
  });
  const actions = byId('https-actions');
  return async () => {
    const https = await readHttps(app);
    const state = byId('https-state');
    if (!https.enabled) {
      state.replaceChildren(badge('idle', 'HTTP only'), ' No certificate: the app is served over plain HTTP.');
    } else {
      state.replaceChildren(
        badge('running', https.letsencrypt ? "HTTPS · Let's Encrypt" : 'HTTPS'),
        ` For ${https.hostnames || 'its domains'}, issued by ${https.issuer}${https.selfSigned ? ' (self-signed)' : ''}, expires ${https.expiresAt}.`,
      );
    }
    const run = (what: string, words: string[]) => () => void act(what, () => command(words).then(changed));
    show(actions, [
      https.letsencrypt
        ? button("Disable Let's Encrypt", run("Disabling Let's Encrypt", ['letsencrypt:disable', app]))
        : button(
            "Enable Let's Encrypt",
            run("Enabling Let's Encrypt", ['letsencrypt:enable', app]),
            undefined,
            'primary',
          ),
      ...(https.enabled && !https.letsencrypt
        ? [
            button(
              'Remove the certificate',
              run('Removing the certificate', ['certs:remove', app]),
              undefined,
              'danger',
            ),
          ]
        : []),
    ]);
  };
};
