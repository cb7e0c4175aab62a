import { joinBackends, parseBackends, renderAppBackends, type AppBackends, type RenderedBackends } from './render.js';

/**
 * Every app's backends as the backends file holds them, kept parsed and rendered app by app,
 * so that routing one app renders (and validates) its own lines alone: with a thousand apps,
 * parsing and rendering the whole file on every route made a restart, which routes each app,
 * quadratic in the app count. The file stays the truth: another process (an extra worker, the
 * CLI) may have written it since, under the config lock, so a text other than the one this
 * table last saw is parsed afresh.
 */
export class BackendsTable {
  private text?: string;
  private apps = new Map<string, AppBackends>();
  private rendered = new Map<string, RenderedBackends>();
  /** How many times a whole text was parsed (tests count them). */
  parses = 0;

  /** Takes the file's current text: parsed only if it is not the one this table holds. */
  load(text: string): void {
    if (text === this.text) return;
    this.parses++;
    this.apps = new Map(Object.entries(parseBackends(text)));
    this.rendered = new Map([...this.apps].map(([app, backends]) => [app, renderAppBackends(app, backends)]));
    this.text = text;
  }

  get(app: string): AppBackends | undefined {
    return this.apps.get(app);
  }

  /** Sets one app's backends (validated: throws, changing nothing, on a bad value); returns the whole new text. */
  set(app: string, backends: AppBackends): string {
    const rendered = renderAppBackends(app, backends);
    // Kept as the file would give it back: what it does not hold (an app with no line left, a
    // flag with no domain to carry it) is not here either.
    const kept = parseBackends(rendered.line + rendered.hosts)[app];
    if (kept) {
      this.apps.set(app, kept);
      this.rendered.set(app, rendered);
    } else {
      this.apps.delete(app);
      this.rendered.delete(app);
    }
    this.text = joinBackends(this.rendered);
    return this.text;
  }
}
