import { UserError } from '../core/errors.js';
import { DOMAIN_EVENT_TYPES, eventApp, type DomainEvent, type DomainEventType } from '../events/domain.js';
import type { WebhookRecord } from '../state/webhooks.js';

/** The groups `--events` takes besides exact kinds: `crash` is what the reconciler sees go wrong and put right. */
export const EVENT_GROUPS = ['deploy', 'crash', 'scale', 'config', 'domain', 'cert', 'backup', 'node'] as const;
type EventGroup = (typeof EVENT_GROUPS)[number];

/** Pure: the group an event kind belongs to. */
export function groupOf(type: DomainEventType): EventGroup {
  if (type === 'app.scaled') return 'scale';
  if (type.startsWith('app.')) return 'crash';
  return type.slice(0, type.indexOf('.')) as EventGroup;
}

const MAX_FILTER = 1000;

/**
 * Pure: `--events deploy,crash,cert.expiring` read as the groups and kinds it names, in the
 * order given, once each; none given (undefined) is every event.
 */
export function parseEventFilter(text: string | undefined): string[] {
  if (text === undefined) return [];
  const words = text.length <= MAX_FILTER ? text.split(',').map((w) => w.trim()) : [''];
  const known = new Set<string>([...EVENT_GROUPS, ...DOMAIN_EVENT_TYPES]);
  const unknown = words.find((w) => !known.has(w));
  if (unknown !== undefined)
    throw new UserError(
      `Unknown event ${JSON.stringify(unknown.slice(0, 100))}: give a comma-separated list of ${EVENT_GROUPS.join(', ')} or event names (${DOMAIN_EVENT_TYPES.join(', ')})`,
    );
  return [...new Set(words)];
}

/** Pure: whether the webhook is told this event: one of its app (a global one: any), of a kind it asked for. */
export function webhookWants(hook: Pick<WebhookRecord, 'app' | 'events'>, event: DomainEvent): boolean {
  if (hook.app !== null && hook.app !== eventApp(event)) return false;
  return hook.events.length === 0 || hook.events.includes(event.type) || hook.events.includes(groupOf(event.type));
}
