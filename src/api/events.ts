import type { Caller } from '../access/index.js';
import { mayUseApp } from '../access/index.js';
import type { AppEvent, AppWatch } from './app-watch.js';
import { eventApp } from '../events/domain.js';
import type { State } from '../state/index.js';
import { TooManyRequestsError } from './errors.js';
import { serverSentEvent, SSE_HEARTBEAT, sseRetry } from './sse.js';

/** Open event streams per token (a dashboard session counts as the token it logged in with). */
export const STREAMS_PER_TOKEN = 8;
const RETRY_MS = 3000;
const HEARTBEAT_MS = 20_000;

/**
 * `GET /events`: what changes in the apps the caller may use, as server-sent events, so
 * the dashboard needs no polling: a `snapshot` (every app's summary) at connect, then an
 * `app` event (its new summary) for each app created or changed and `app-removed` ({name})
 * for each destroyed, and `event` for each of the platform's events (platform.events, what
 * webhooks are told: deploys, crash loops, scaling…) about those apps (about no app: admins
 * only), each with an increasing id. A reconnect (with Last-Event-ID or not)
 * starts with a fresh snapshot. A stream is one request against the rate limit however
 * long it stays open; their number per token is bounded instead.
 */
export class AppEventStreams {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly state: State,
    private readonly watch: AppWatch,
  ) {}

  /** Refuses (429) a token with too many streams open already; else the stream runs until `signal` aborts. */
  async serve(caller: Caller, start: () => (chunk: string) => void, signal: AbortSignal): Promise<void> {
    const key = caller.tokenId ?? `key:${caller.name}`;
    const count = this.open.get(key) ?? 0;
    if (count >= STREAMS_PER_TOKEN)
      throw new TooManyRequestsError(`Too many event streams open for this token (${STREAMS_PER_TOKEN}); close one`);
    this.open.set(key, count + 1);
    try {
      await this.stream(caller, start(), signal);
    } finally {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    }
  }

  private async stream(caller: Caller, send: (chunk: string) => void, signal: AbortSignal): Promise<void> {
    const may = (app: string) => mayUseApp(this.state, caller, app);
    const shown = new Set<string>();
    let snapshotSeq: number | undefined;
    const early: AppEvent[] = [];
    const forward = (event: AppEvent) => {
      if (snapshotSeq === undefined) return void early.push(event);
      if (event.seq <= snapshotSeq) return;
      if (event.type === 'domain') {
        const app = eventApp(event.event);
        if (app === null ? caller.isAdmin : may(app)) send(serverSentEvent('event', event.seq, event.event));
        return;
      }
      if (event.type === 'app.changed' && may(event.summary.name)) {
        shown.add(event.summary.name);
        send(serverSentEvent('app', event.seq, event.summary));
      } else {
        // Destroyed, or no longer the caller's: gone from its view either way.
        const name = event.type === 'app.changed' ? event.summary.name : event.name;
        if (shown.delete(name)) send(serverSentEvent('app-removed', event.seq, { name }));
      }
    };
    send(sseRetry(RETRY_MS));
    const { seq, summaries, unsubscribe } = await this.watch.subscribe(forward);
    const heartbeat = setInterval(() => send(SSE_HEARTBEAT), HEARTBEAT_MS);
    try {
      const visible = summaries.filter((s) => may(s.name)).sort((a, b) => a.name.localeCompare(b.name));
      visible.forEach((s) => shown.add(s.name));
      send(serverSentEvent('snapshot', seq, visible));
      snapshotSeq = seq;
      early.forEach(forward);
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
    }
  }
}
