// What every dashboard page uses: the API with the session cookie (changes carry the page's
// CSRF token), elements made from data, the status line, and the apps' event stream.
import type { AppRemoved, AppSummary, CommandOutput, ErrorJson, Page } from '../../model/api.js';
import type { DomainEvent } from '../../model/domain-events.js';
import { ago, commandResult, lineSplitter, toneOf } from './format.js';

export const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
/** How often "… ago" is written again (from what the page has, no request). */
const AGES_MS = 10_000;
/** After the stream was refused or the daemon went away for good, a new one is opened this much later. */
const REOPEN_MS = 5000;
/** The most items the API answers a page. */
const PAGE_MAX = 200;

/** After a read failed on the network (a browser that changed networks drops what is in flight), it is tried once more this much later. */
const RETRY_MS = 500;

/**
 * fetch, and for a read (safe to send twice) once more after a network failure; a change is
 * never sent twice (its failure is shown, and the user may try again).
 */
async function fetchOnce(url: string, init: RequestInit, isRead: boolean): Promise<Response> {
  try {
    return await fetch(url, { ...init, credentials: 'same-origin' });
  } catch (error) {
    if (!isRead || !(error instanceof TypeError)) throw error;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    return fetch(url, { ...init, credentials: 'same-origin' });
  }
}

/** An error answer of the API: its message, and the status that says what kind of error it is. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A request to /api/v1; its answer is read as `T`, the type the server declares for it. A 401 goes to the login page. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'x-csrf-token': csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetchOnce(
    `/api/v1${path}`,
    { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
    method === 'GET',
  );
  if (response.status === 401) location.assign('/login');
  const data = response.status === 204 ? undefined : ((await response.json()) as unknown);
  if (!response.ok)
    throw new ApiError((data as Partial<ErrorJson> | undefined)?.error ?? `status ${response.status}`, response.status);
  return data as T;
}

/**
 * Runs a Slipway command through `POST /commands`, as the CLI would (same access rules and
 * validation): its stdout's lines, or an error with its ` !     ` message. `isRead`: it
 * changes nothing (a report), so it may be sent again after a network failure.
 */
export async function command(words: string[], stdin?: string, isRead = false): Promise<string[]> {
  const response = await fetchOnce(
    '/api/v1/commands',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ command: words, stdin }),
    },
    isRead,
  );
  if (response.status === 401) location.assign('/login');
  if (!response.ok)
    throw new Error(((await response.json()) as Partial<ErrorJson>).error ?? `status ${response.status}`);
  const output = lineSplitter()(`${await response.text()}\n`)
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CommandOutput);
  const result = commandResult(output);
  if (!result.ok) throw new Error(result.error);
  return result.lines;
}

/** Every item of a list, page after page (the API's largest pages). */
export async function apiAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: Page<T> = await api<Page<T>>('GET', `${path}?limit=${PAGE_MAX}${query}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  }
  return items;
}

export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** An element of the page that must be there, as the type it must be. */
export function byId<T extends HTMLElement = HTMLElement>(id: string, type?: new () => T): T {
  const node = document.getElementById(id);
  if (!node || (type && !(node instanceof type))) throw new Error(`The page has no ${type?.name ?? 'element'} #${id}`);
  return node as T;
}

/** An element with text (never HTML: every value shown is data). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/**
 * Marks the page busy (`aria-busy` on main) until the returned function is called, once its
 * data first shows: what is below that data moves as it fills in, and screen readers (and
 * the tests) wait for it.
 */
export function busyUntilShown(): () => void {
  const main = byId('main');
  main.setAttribute('aria-busy', 'true');
  return () => main.removeAttribute('aria-busy');
}

/** A coloured badge for a state or status (`running`, `failed`, `queued` …). */
export function badge(word: string, label = word): HTMLSpanElement {
  return el('span', label, { class: `badge tone-${toneOf(word)}` });
}

/** A button that runs `onClick`; `label` names it for screen readers when its text alone would not. */
export function button(text: string, onClick: () => void, label?: string, kind = ''): HTMLButtonElement {
  const node = el('button', text, { type: 'button', ...(label ? { 'aria-label': label } : {}) });
  if (kind) node.className = kind;
  node.addEventListener('click', onClick);
  return node;
}

/** A form's submit, without the page reload: `work` gets the form's fields. */
export function onSubmit(form: HTMLFormElement, work: (fields: FormData) => void): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    work(new FormData(form));
  });
}

/** A field of a submitted form, as text (untrimmed with `raw`; a file field reads as empty). */
export function field(fields: FormData, name: string, raw = false): string {
  const value = fields.get(name);
  const text = typeof value === 'string' ? value : '';
  return raw ? text : text.trim();
}

export function row(cells: (Node | string | null | undefined)[]): HTMLTableRowElement {
  const tr = el('tr');
  for (const cell of cells) {
    const td = el('td');
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell ?? '';
    tr.append(td);
  }
  return tr;
}

/** Fills a table's body; each cell is labelled with its column's heading, shown beside it on a phone's width. */
export function fillTable(selector: string, rows: HTMLTableRowElement[]): void {
  const table = document.querySelector(selector);
  const body = table?.querySelector('tbody');
  if (!table || !body) throw new Error(`The page has no table ${selector}`);
  const headings = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  for (const tr of rows) {
    [...tr.children].forEach((td, i) => {
      if (headings[i]) td.setAttribute('data-label', headings[i]);
    });
  }
  show(body, rows);
}

/**
 * Puts `nodes` in `parent` in place of what it holds, unless that shows the same already: a
 * refresh that changed nothing leaves the page as it was (the focus stays on the button a
 * keyboard user is on, and a click meant for it lands).
 */
export function show(parent: Element, nodes: (Node | string)[]): void {
  const html = (node: Node | string) =>
    typeof node === 'string' ? node : node instanceof Element ? node.outerHTML : (node.textContent ?? '');
  const now = [...parent.childNodes];
  if (now.length === nodes.length && nodes.every((node, i) => html(node) === html(now[i]!))) return;
  parent.replaceChildren(...nodes);
}

/** "… ago" for a time, in a <time> element that keepAgesFresh writes again as it gets older. */
export function agoElement(iso: string | null | undefined): HTMLTimeElement {
  return el('time', ago(iso), { datetime: iso ?? '' });
}

/** Ages on the page are written again from the times they show: no request needed. */
export function keepAgesFresh(): void {
  setInterval(
    () =>
      document
        .querySelectorAll('time[datetime]')
        .forEach((node) => (node.textContent = ago(node.getAttribute('datetime')))),
    AGES_MS,
  );
}

export function say(text: string, isError = false): void {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = text;
  status.className = isError ? 'status error' : 'status';
}

/** Shows a failure on the status line (the handler of a promise nobody else waits for). */
export const sayFailed = (error: unknown) => say(messageOf(error), true);

/** Does a change the user asked for, saying on the status line that it runs, then how it went. */
export async function act(description: string, work: () => Promise<unknown>): Promise<void> {
  say(`${description}…`);
  try {
    await work();
    say(`${description}: done`);
  } catch (error) {
    say(`${description} failed: ${messageOf(error)}`, true);
  }
}

export function every(ms: number, refresh: () => Promise<void>): void {
  const run = () => void refresh().catch(sayFailed);
  run();
  setInterval(run, ms);
}

/** A server-sent event's data: JSON of the type the server declares for it. */
export const eventData = <T>(event: MessageEvent) => JSON.parse(event.data as string) as T;

/**
 * Follows the event stream of the apps this session may use: `onApps` gets every app's
 * summary (a Map by name) at connect and after each change, `onEvent` each of the
 * platform's events about them (a deploy, a crash loop…, as webhooks get them).
 * EventSource reconnects by itself (and gets a fresh snapshot); a stream refused outright
 * (logged out, too many open) is looked into, then opened again a little later.
 */
export function watchApps(
  onApps: (apps: Map<string, AppSummary>) => void,
  onEvent: (event: DomainEvent) => void = () => {},
): void {
  const apps = new Map<string, AppSummary>();
  const source = new EventSource('/api/v1/events');
  const changed = () => onApps(apps);
  source.addEventListener('snapshot', (event) => {
    apps.clear();
    for (const summary of eventData<AppSummary[]>(event)) apps.set(summary.name, summary);
    changed();
  });
  source.addEventListener('app', (event) => {
    const summary = eventData<AppSummary>(event);
    apps.set(summary.name, summary);
    changed();
  });
  source.addEventListener('app-removed', (event) => {
    apps.delete(eventData<AppRemoved>(event).name);
    changed();
  });
  source.addEventListener('event', (event) => onEvent(eventData<DomainEvent>(event)));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) return; // reconnecting by itself
    api('GET', '/apps').catch(sayFailed); // a 401 goes to the login page
    setTimeout(() => watchApps(onApps, onEvent), REOPEN_MS);
  });
}
