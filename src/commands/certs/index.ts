import type { X509Certificate } from 'node:crypto';
import { filesInTar } from '../../builder/tar.js';
import { UserError } from '../../core/errors.js';
import { readAllBytes } from '../../core/input.js';
import { format } from '../../core/output.js';
import { restoreRoute } from '../../deploy/routes.js';
import {
  describeCertificate,
  moveCertificate,
  removeCertificate,
  selfSignedCertificate,
  storeCertificate,
} from '../../proxy/certs.js';
import { appDomains } from '../../proxy/domains.js';
import { readHostFile } from '../host-file.js';
import { action, type AppReport, type CommandContext, type Namespace } from '../types.js';

const INPUT_LIMIT = 1024 * 1024;

/**
 * The certificate and key: two files on the host; over SSH on stdin, either PEM text (the
 * certificate chain and the key, one after the other) or a tar of server.crt and server.key,
 * as Dokku takes it.
 */
export async function readCertificateInput(
  ctx: CommandContext,
  files: string[],
  command = 'certs:add <app>',
): Promise<{ cert: string; key: string }> {
  if (files.length > 0) {
    const overSsh = `Over SSH, send the certificate on stdin: ${command} < cert-and-key.pem (or a tar of server.crt and server.key)`;
    if (ctx.local && files.length !== 2) throw new UserError(`Give both files: ${command} CRT_FILE KEY_FILE`);
    const [cert, key] = files.map((file) => readHostFile(ctx, file, INPUT_LIMIT, overSsh));
    return { cert: cert!, key: key! };
  }
  const input = await readAllBytes(ctx.stdin, INPUT_LIMIT);
  if (input.length === 0) throw new UserError('No certificate given: send it on stdin');
  if (input.subarray(0, 64).toString().trimStart().startsWith('-----BEGIN'))
    return { cert: input.toString(), key: input.toString() };
  const inTar = await filesInTar(input);
  const pick = (suffix: string) => Object.entries(inTar).find(([name]) => name.endsWith(suffix))?.[1];
  const cert = pick('.crt');
  const key = pick('.key');
  if (!cert || !key) throw new UserError('The tar must hold a .crt and a .key file (server.crt, server.key)');
  return { cert, key };
}

const report: AppReport = {
  name: 'certs',
  summary: 'Show the app’s TLS certificate: hostnames, issuer, expiry',
  rows(ctx, app) {
    const info = describeCertificate(ctx.platform.settings.certsDir, app.name);
    return [
      ['Ssl enabled', String(info !== undefined)],
      ['Ssl dir', info?.dir ?? ''],
      ['Ssl hostnames', info?.hostnames.join(' ') ?? ''],
      ['Ssl subject', info?.subject ?? ''],
      ['Ssl issuer', info?.issuer ?? ''],
      ['Ssl starts at', info?.startsAt ?? ''],
      ['Ssl expires at', info?.expiresAt ?? ''],
      ['Ssl verified', info ? (info.selfSigned ? 'self signed' : 'signed by another') : ''],
    ];
  },
};

export const certsNamespace: Namespace = {
  name: 'certs',
  report,
  lifecycle: {
    destroy: async (platform, app) => void removeCertificate(platform.settings.certsDir, app),
    rename: async (platform, from, to) => moveCertificate(platform.settings.certsDir, from, to),
  },
  commands: [
    action({
      name: 'certs:add',
      summary: 'Serve the app over HTTPS with this certificate and key; HTTP then redirects to HTTPS',
      args: ['app', '[CRT_FILE]', '[KEY_FILE]'],
      usageNote: '(over SSH: PEM or a tar of server.crt and server.key on stdin)',
      access: 'app',
      async run(ctx, args) {
        const app = args.app;
        const files = [args.named.CRT_FILE, args.named.KEY_FILE].filter((f): f is string => f !== undefined);
        const { cert, key } = await readCertificateInput(ctx, files);
        const certificate = storeCertificate(ctx.platform.settings.certsDir, app.name, cert, key);
        await restoreRoute(ctx.platform, app.name);
        tellCertificateAdded(ctx, app.name, certificate);
        ctx.out.out(
          format.step(`Added the certificate for ${certificate.subject.replace(/\n/g, ', ')} to ${app.name}`),
        );
        if (new Date(certificate.validTo).getTime() < Date.now())
          ctx.out.err(format.error(`The certificate expired on ${certificate.validTo}`));
      },
    }),
    action({
      name: 'certs:generate',
      summary: 'Serve the app over HTTPS with a new self-signed certificate for a domain (browsers will warn)',
      args: ['app', '<domain>'],
      access: 'app',
      async run(ctx, args) {
        const app = args.app;
        const domain = args.named.domain.toLowerCase();
        const { cert, key } = await selfSignedCertificate(domain);
        const certificate = storeCertificate(ctx.platform.settings.certsDir, app.name, cert, key);
        await restoreRoute(ctx.platform, app.name);
        tellCertificateAdded(ctx, app.name, certificate);
        ctx.out.out(format.step(`Added a self-signed certificate for ${domain} to ${app.name}`));
        if (!appDomains(ctx.platform.state, ctx.platform.settings, app.name).includes(domain)) {
          ctx.out.out(
            format.detail(`${domain} is not one of ${app.name}'s domains yet: domains:add ${app.name} ${domain}`),
          );
        }
      },
    }),
    action({
      name: 'certs:remove',
      summary: 'Remove the app’s certificate: it is served over plain HTTP again',
      args: ['app'],
      access: 'app',
      async run(ctx, args) {
        const app = args.app;
        if (!removeCertificate(ctx.platform.settings.certsDir, app.name))
          throw new UserError(`${app.name} has no certificate`);
        await restoreRoute(ctx.platform, app.name);
        ctx.out.out(format.step(`Removed the certificate of ${app.name}`));
      },
    }),
  ],
};

function tellCertificateAdded(ctx: CommandContext, app: string, certificate: X509Certificate): void {
  const expires = new Date(certificate.validTo).toISOString();
  ctx.platform.events.publish('cert.added', { app, expires_at: expires, by: ctx.caller.name });
}
