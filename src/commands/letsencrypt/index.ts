import { requireAdmin } from '../../access/index.js';
import { format } from '../../core/output.js';
import {
  disableLetsencrypt,
  enableLetsencrypt,
  isLetsencryptEnabled,
  LETSENCRYPT_PROPERTIES,
  letsencryptValue,
  ownLetsencryptValue,
  renewalDue,
  renewDue,
  revokeLetsencrypt,
  setLetsencryptProperty,
} from '../../letsencrypt/index.js';
import { describeCertificate } from '../../proxy/certs.js';
import { GLOBAL_SCOPE } from '../../state/index.js';
import { setCommand } from '../set-command.js';
import { action, query, type AppReport, type Namespace } from '../types.js';

const report: AppReport = {
  name: 'letsencrypt',
  summary: 'Show whether the app gets its certificate from Let’s Encrypt, and when it renews',
  rows(ctx, app) {
    const { platform } = ctx;
    const expires = describeCertificate(platform.settings.certsDir, app.name)?.expiresAt;
    const active = isLetsencryptEnabled(platform, app.name);
    return [
      ['Letsencrypt active', String(active)],
      ['Letsencrypt computed email', letsencryptValue(platform, app.name, 'email') ?? ''],
      ['Letsencrypt global email', ownLetsencryptValue(platform, GLOBAL_SCOPE, 'email') ?? ''],
      ['Letsencrypt computed server', letsencryptValue(platform, app.name, 'server')!],
      ['Letsencrypt computed graceperiod', letsencryptValue(platform, app.name, 'graceperiod')!],
      ['Letsencrypt expiration', active && expires ? expires : ''],
      ['Letsencrypt renewal due', active ? (renewalDue(platform, app.name)?.toISOString() ?? '') : ''],
    ];
  },
};

/** Dokku's letsencrypt plugin: certificates from an ACME authority, renewed by the daemon. */
export const letsencryptNamespace: Namespace = {
  name: 'letsencrypt',
  report,
  commands: [
    setCommand({
      name: 'letsencrypt:set',
      summary:
        'Set email (for the authority), server (another ACME directory; admin only) or graceperiod (seconds before expiry to renew)',
      property: LETSENCRYPT_PROPERTIES,
      values: 'value',
      global: true,
      set(ctx, scope, value, property) {
        // The daemon fetches whatever URL `server` names: admins only.
        if (scope === GLOBAL_SCOPE || property === 'server')
          requireAdmin(ctx.caller, `letsencrypt:set ${scope === GLOBAL_SCOPE ? '--global' : property}`);
        setLetsencryptProperty(ctx.platform, scope, property, value);
      },
    }),
    action({
      name: 'letsencrypt:enable',
      summary: 'Get a certificate for every domain of the app now, serve HTTPS with it, and renew it before it expires',
      args: ['app'],
      access: 'app',
      async run(ctx, args) {
        const app = args.app.name;
        ctx.out.out(format.step(`Enabling Let's Encrypt for ${app}`));
        await enableLetsencrypt(ctx.platform, app, (line) => ctx.out.out(format.detail(line)));
        ctx.out.out(format.step(`Certificate installed for ${app}`));
      },
    }),
    action({
      name: 'letsencrypt:disable',
      summary: 'Stop renewing the app’s certificate and remove it: the app serves plain HTTP again',
      args: ['app'],
      access: 'app',
      async run(ctx, args) {
        await disableLetsencrypt(ctx.platform, args.app.name);
        ctx.out.out(format.step(`Disabled Let's Encrypt for ${args.app.name} and removed its certificate`));
      },
    }),
    action({
      name: 'letsencrypt:revoke',
      summary: 'Have the authority revoke the app’s certificate, then disable Let’s Encrypt for it',
      args: ['app'],
      access: 'app',
      async run(ctx, args) {
        await revokeLetsencrypt(ctx.platform, args.app.name);
        ctx.out.out(format.step(`Revoked the certificate of ${args.app.name}`));
      },
    }),
    action({
      name: 'letsencrypt:auto-renew',
      summary:
        'Renew now the certificates (of the app, else of every app) whose renewal is due; the daemon does this twice a day',
      args: ['[app]'],
      access: 'app',
      async run(ctx, args) {
        const apps = args.app ? [args.app.name] : undefined;
        if (!apps) requireAdmin(ctx.caller, 'letsencrypt:auto-renew for every app');
        const { renewed, failed } = await renewDue(ctx.platform, apps, (line) => ctx.out.out(format.detail(line)));
        if (renewed.length > 0) ctx.out.out(format.step(`Renewed ${renewed.join(', ')}`));
        else if (failed.length === 0) ctx.out.out(format.step('No certificate was due for renewal'));
        return failed.length > 0 ? 1 : 0;
      },
    }),
    action({
      name: 'letsencrypt:active',
      summary: 'Say whether Let’s Encrypt is enabled for the app (true or false)',
      args: ['app'],
      access: 'app',
      run(ctx, args) {
        ctx.out.out(String(isLetsencryptEnabled(ctx.platform, args.app.name)));
      },
    }),
    query({
      name: 'letsencrypt:list',
      summary: 'List the apps with Let’s Encrypt certificates, their expiry and renewal dates',
      args: [],
      access: 'admin',
      valueFlags: ['format'],
      read(ctx) {
        const { platform } = ctx;
        const apps = platform.state.apps.list().filter((a) => isLetsencryptEnabled(platform, a.name));
        return apps.map((a) => ({
          app: a.name,
          expires: describeCertificate(platform.settings.certsDir, a.name)?.expiresAt ?? '',
          renewal_due: renewalDue(platform, a.name)?.toISOString() ?? '',
        }));
      },
      render: {
        text(list, out) {
          out.out(`${'App'.padEnd(24)}${'Certificate expiry'.padEnd(28)}Renewal due`);
          for (const r of list) out.out(`${r.app.padEnd(24)}${r.expires.padEnd(28)}${r.renewal_due}`);
        },
        json: (list) => list,
      },
    }),
  ],
};
