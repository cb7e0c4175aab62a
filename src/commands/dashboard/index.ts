import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import { disableLetsencrypt, enableLetsencrypt, isLetsencryptEnabled, renewalDue } from '../../letsencrypt/index.js';
import {
  DASHBOARD_SITE,
  describeCertificate,
  removeCertificate,
  selfSignedCertificate,
  storeCertificate,
} from '../../proxy/certs.js';
import type { Platform } from '../../platform.js';
import { readCertificateInput } from '../certs/index.js';
import { hostReport, reportRenderer } from '../report.js';
import { action, query, type CommandContext, type Namespace, type ReportRows } from '../types.js';

/** The dashboard's address: HTTPS once it has a certificate. */
function dashboardUrl(platform: Platform): string {
  const { dashboardDomain, httpPort, httpsPort } = platform.settings;
  const tls = describeCertificate(platform.settings.certsDir, DASHBOARD_SITE) !== undefined;
  const port = tls ? (httpsPort === 443 ? '' : `:${httpsPort}`) : httpPort === 80 ? '' : `:${httpPort}`;
  return `${tls ? 'https' : 'http'}://${dashboardDomain}${port}/`;
}

function reportRows(platform: Platform): ReportRows {
  const certificate = describeCertificate(platform.settings.certsDir, DASHBOARD_SITE);
  const letsencrypt = isLetsencryptEnabled(platform, DASHBOARD_SITE);
  return [
    ['Dashboard url', dashboardUrl(platform)],
    ['Dashboard domain', platform.settings.dashboardDomain],
    ['Dashboard api port', String(platform.settings.apiPort)],
    ['Dashboard ssl enabled', String(certificate !== undefined)],
    ['Dashboard ssl hostnames', certificate?.hostnames.join(' ') ?? ''],
    ['Dashboard ssl issuer', certificate?.issuer ?? ''],
    ['Dashboard ssl expires at', certificate?.expiresAt ?? ''],
    ['Dashboard letsencrypt active', String(letsencrypt)],
    [
      'Dashboard letsencrypt renewal due',
      letsencrypt ? (renewalDue(platform, DASHBOARD_SITE)?.toISOString() ?? '') : '',
    ],
  ];
}

/** Installs a certificate for the dashboard host: nginx serves it over HTTPS (one graceful reload). */
async function serveDashboardCertificate(ctx: CommandContext, cert: string, key: string): Promise<void> {
  if (isLetsencryptEnabled(ctx.platform, DASHBOARD_SITE)) {
    throw new UserError('The dashboard gets its certificate from Let’s Encrypt: dashboard:letsencrypt:disable first');
  }
  storeCertificate(ctx.platform.settings.certsDir, DASHBOARD_SITE, cert, key);
  await ctx.platform.nginx.ensureRunning();
  ctx.out.out(format.step(`The dashboard is served at ${dashboardUrl(ctx.platform)}`));
}

/**
 * Slipway's own dashboard and HTTP API host (`SLIPWAY_DASHBOARD_DOMAIN`): where it is, and its
 * certificate (given, self-signed or from Let's Encrypt). Plain HTTP redirects to HTTPS once it has one.
 */
export const dashboardNamespace: Namespace = {
  name: 'dashboard',
  commands: [
    query({
      name: 'dashboard:report',
      summary: 'Show where the dashboard and HTTP API are served, and their certificate',
      args: [],
      usageNote: '[--<row-flag>]',
      access: 'anyone',
      valueFlags: ['format'],
      openFlags: true,
      read: (ctx) => hostReport('dashboard', 'Dashboard information', reportRows(ctx.platform)),
      render: reportRenderer,
    }),
    action({
      name: 'dashboard:certs:add',
      summary: 'Serve the dashboard over HTTPS with this certificate and key; HTTP then redirects to HTTPS',
      args: ['[CRT_FILE]', '[KEY_FILE]'],
      usageNote: '(over SSH: PEM or a tar of server.crt and server.key on stdin)',
      access: 'admin',
      async run(ctx, args) {
        const files = [args.named.CRT_FILE, args.named.KEY_FILE].filter((f): f is string => f !== undefined);
        const { cert, key } = await readCertificateInput(ctx, files, 'dashboard:certs:add');
        await serveDashboardCertificate(ctx, cert, key);
      },
    }),
    action({
      name: 'dashboard:certs:generate',
      summary: 'Serve the dashboard over HTTPS with a new self-signed certificate (browsers will warn)',
      args: [],
      access: 'admin',
      async run(ctx) {
        const { cert, key } = await selfSignedCertificate(ctx.platform.settings.dashboardDomain);
        await serveDashboardCertificate(ctx, cert, key);
      },
    }),
    action({
      name: 'dashboard:certs:remove',
      summary: 'Remove the dashboard’s certificate: it is served over plain HTTP again',
      args: [],
      access: 'admin',
      async run(ctx) {
        if (isLetsencryptEnabled(ctx.platform, DASHBOARD_SITE)) {
          throw new UserError(
            'The dashboard’s certificate comes from Let’s Encrypt: dashboard:letsencrypt:disable removes it',
          );
        }
        if (!removeCertificate(ctx.platform.settings.certsDir, DASHBOARD_SITE))
          throw new UserError('The dashboard has no certificate');
        await ctx.platform.nginx.ensureRunning();
        ctx.out.out(format.step(`Removed the dashboard’s certificate: it is served at ${dashboardUrl(ctx.platform)}`));
      },
    }),
    action({
      name: 'dashboard:letsencrypt:enable',
      summary:
        'Get a certificate for the dashboard host from Let’s Encrypt (letsencrypt:set --global email first), renewed by the daemon',
      args: [],
      access: 'admin',
      async run(ctx) {
        ctx.out.out(format.step('Enabling Let’s Encrypt for the dashboard'));
        await enableLetsencrypt(ctx.platform, DASHBOARD_SITE, (line) => ctx.out.out(format.detail(line)));
        ctx.out.out(format.step(`The dashboard is served at ${dashboardUrl(ctx.platform)}`));
      },
    }),
    action({
      name: 'dashboard:letsencrypt:disable',
      summary: 'Stop renewing the dashboard’s certificate and remove it: plain HTTP again',
      args: [],
      access: 'admin',
      async run(ctx) {
        await disableLetsencrypt(ctx.platform, DASHBOARD_SITE);
        ctx.out.out(
          format.step(`Disabled Let’s Encrypt for the dashboard: it is served at ${dashboardUrl(ctx.platform)}`),
        );
      },
    }),
  ],
};
