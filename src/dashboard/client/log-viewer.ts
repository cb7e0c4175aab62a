// A log on the page that follows what comes (scrolled to the newest line), can be paused (the
// view holds still while lines keep arriving, counted) and filtered to the lines that contain
// some text. Lines are kept as data; the <pre> shows them, written at most every RENDER_MS.
import { matchingLines } from './format.js';
import { el } from './page.js';

const RENDER_MS = 60;

export interface LogViewer {
  append(line: string): void;
  /** Empties it (a new log starts). */
  clear(): void;
}

/**
 * Makes `pre` a log viewer keeping its last `max` lines, with a toolbar before it: a filter box
 * and a pause/follow button (both labelled with `name`, as "Filter deploy log").
 */
export function logViewer(pre: HTMLElement, name: string, max: number): LogViewer {
  let lines: string[] = [];
  let paused = false;
  let unseen = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const filter = el('input', undefined, {
    type: 'search',
    placeholder: 'Filter…',
    'aria-label': `Filter ${name}`,
    'aria-controls': pre.id,
  });
  // A toggle: pressed, the view holds still.
  const pause = el('button', 'Pause', {
    type: 'button',
    'aria-pressed': 'false',
    'aria-label': `Pause ${name}`,
    'aria-controls': pre.id,
  });
  const counter = el('span', '', { class: 'log-count', 'aria-live': 'polite' });
  const toolbar = el('div', undefined, { class: 'log-toolbar', role: 'toolbar', 'aria-label': `${name} controls` });
  toolbar.append(filter, pause, counter);
  pre.before(toolbar);

  const render = () => {
    timer = undefined;
    unseen = 0;
    if (lines.length > max) lines = lines.slice(-max);
    const query = filter.value;
    const shown = matchingLines(lines, query);
    pre.textContent = shown.length ? `${shown.join('\n')}\n` : '';
    counter.textContent = [
      query.trim() ? `${shown.length} of ${lines.length} lines` : '',
      paused && unseen ? `${unseen} new while paused` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    if (!paused) pre.scrollTop = pre.scrollHeight;
  };
  const soon = () => {
    if (!paused) timer ??= setTimeout(render, RENDER_MS);
  };

  filter.addEventListener('input', render);
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pre.classList.toggle('paused', paused);
    render();
  });

  return {
    append(line) {
      lines.push(line);
      // Trimmed to `max` at the latest when twice as long: each line costs the same however long the log.
      if (lines.length > 2 * max) lines = lines.slice(-max);
      if (paused) {
        unseen++;
        counter.textContent = `${unseen} new while paused`;
      }
      soon();
    },
    clear() {
      lines = [];
      unseen = 0;
      render();
    },
  };
}
