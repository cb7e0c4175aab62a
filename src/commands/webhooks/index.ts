import { UserError } from '../../core/errors.js';
import { format } from '../../core/output.js';
import type { WebhookRecord } from '../../state/webhooks.js';
import { addWebhook, testWebhook, webhookOf } from '../../webhooks/index.js';
import { action, query, type Namespace } from '../types.js';
import { valueFlag } from '../args.js';

const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const scopeOf = (hook: WebhookRecord) => hook.app ?? '--global';
const eventsOf = (hook: WebhookRecord) => (hook.events.length ? hook.events.join(',') : 'all');

/** A webhook as lists show it: never its secret. */
const shown = (hook: WebhookRecord) => ({
  id: hook.id,
  app: hook.app,
  url: hook.url,
  events: hook.events,
  format: hook.format,
  created_by: hook.createdBy,
  created_at: when(hook.createdAt),
});

/** Webhooks: events (deploys, crashes, certificates, backups…) POSTed, signed, to a URL; see README "Knowing what happens". */
export const webhooksNamespace: Namespace = {
  name: 'webhooks',
  commands: [
    action({
      name: 'webhooks:add',
      summary:
        'POST an app’s events (or every event, --global) to a URL, signed (--events deploy,crash,… --secret S --format json|slack)',
      args: ['app', '<url>'],
      appOr: '--global',
      access: 'app',
      valueFlags: ['events', 'secret', 'format'],
      booleanFlags: ['global'],
      async run(ctx, args) {
        const { hook, generatedSecret } = await addWebhook(ctx.platform, ctx.caller, {
          app: args.app?.name ?? null,
          url: args.named.url,
          events: valueFlag(args, 'events'),
          secret: valueFlag(args, 'secret'),
          format: valueFlag(args, 'format'),
        });
        ctx.out.out(format.step(`Added webhook ${hook.id} for ${hook.app ?? 'every app'}: ${hook.url}`));
        ctx.out.out(format.detail(`Events: ${eventsOf(hook)}; format ${hook.format}`));
        if (generatedSecret) {
          ctx.out.out(format.detail('Signing secret (shown only now; verify the Slipway-Signature header with it):'));
          ctx.out.out(generatedSecret);
        }
      },
    }),
    query({
      name: 'webhooks:list',
      summary: 'List the webhooks of an app, or every one (admins, no app)',
      args: ['[app]'],
      access: 'app',
      valueFlags: ['format'],
      read: (ctx, { app }) => ctx.platform.state.webhooks.list(app?.name).map(shown),
      render: {
        text(hooks, out) {
          if (hooks.length === 0) return out.err(format.error('No webhooks'));
          out.out(format.section('Webhooks'));
          for (const hook of hooks)
            out.out(
              `${hook.id}  ${(hook.app ?? '--global').padEnd(20)} ${hook.format.padEnd(5)} ${(hook.events.join(',') || 'all').padEnd(20)} ${hook.url}`,
            );
        },
      },
    }),
    action({
      name: 'webhooks:remove',
      summary: 'Remove a webhook by id (its queued deliveries are dropped)',
      args: ['<id>'],
      access: 'anyone',
      run(ctx, args) {
        const hook = webhookOf(ctx.platform, ctx.caller, args.named.id);
        ctx.platform.state.webhooks.remove(hook.id);
        ctx.out.out(format.step(`Removed webhook ${hook.id} of ${scopeOf(hook)} (${hook.url})`));
      },
    }),
    action({
      name: 'webhooks:test',
      summary:
        'POST a signed webhook.test event to a webhook now, and show its answer (it is listed in its deliveries)',
      args: ['<id>'],
      access: 'anyone',
      async run(ctx, args) {
        const outcome = await testWebhook(ctx.platform, ctx.caller, args.named.id);
        const took = `${outcome.latencyMs} ms`;
        if (outcome.error !== null) throw new UserError(`The test delivery failed after ${took}: ${outcome.error}`);
        ctx.out.out(format.step(`Delivered webhook.test: HTTP ${outcome.status} in ${took}`));
      },
    }),
    query({
      name: 'webhooks:deliveries',
      summary: 'Show the last delivery attempts of a webhook: event, attempt, HTTP status, latency',
      args: ['<id>'],
      access: 'anyone',
      valueFlags: ['format'],
      read(ctx, args) {
        const hook = webhookOf(ctx.platform, ctx.caller, args.named.id);
        return ctx.platform.state.webhooks.deliveries(hook.id).map((d) => ({
          at: when(d.at),
          event: d.eventType,
          event_id: d.eventId,
          attempt: d.attempt,
          status: d.status,
          ok: d.error === null,
          latency_ms: d.latencyMs,
          error: d.error,
        }));
      },
      render: {
        text(deliveries, out) {
          if (deliveries.length === 0) return out.out(format.detail('No deliveries yet'));
          out.out(format.section('Deliveries, newest first'));
          for (const d of deliveries)
            out.out(
              `${d.at}  ${d.event.padEnd(20)} attempt ${String(d.attempt).padEnd(3)} ${String(d.status ?? '-').padEnd(4)} ${`${d.latency_ms} ms`.padEnd(9)} ${d.error ?? 'ok'}`,
            );
        },
      },
    }),
  ],
};
