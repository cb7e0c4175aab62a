// The app page's processes: its state (the header's badge and summary), the formation with
// scaling, each container's state, and what each running container uses (CPU and memory,
// sampled while containers run and the page is seen).
import type { UsageJson } from '../../model/api.js';
import { followLogs } from './app-logs.js';
import type { AppSection } from './app-page.js';
import { chartPoints, mib, stateOf } from './format.js';
import { act, badge, byId, command, el, onSubmit, show } from './page.js';
import { readProcesses, readUsage } from './resources.js';

export const processesSection: AppSection = (app, changed) => {
  const form = byId('scale-form', HTMLFormElement);
  onSubmit(form, () => {
    const inputs = [...form.querySelectorAll('input')];
    const counts = inputs.map((input) => `${input.name}=${Number(input.value)}`);
    void act('Scaling', async () => {
      await command(['ps:scale', app, ...counts]);
      for (const input of inputs) input.defaultValue = input.value; // sent: no longer a change of the reader's own
      changed();
    });
  });
  return async () => {
    const { formation, instances, ...processes } = await readProcesses(app);
    const holder = byId('formation');
    // Not while someone is typing a count in it, nor over a count typed and not yet sent (a
    // refresh the app's events start may come between typing and pressing Scale).
    const edited = [...holder.querySelectorAll('input')].some((input) => input.value !== input.defaultValue);
    if (!holder.contains(document.activeElement) && !edited) {
      holder.replaceChildren(
        ...Object.entries(formation).map(([type, count]) => {
          const label = el('label', `${type} `, { for: `scale-${type}` });
          const input = el('input', undefined, {
            id: `scale-${type}`,
            name: type,
            type: 'number',
            min: '0',
            max: '100',
            value: String(count),
          });
          label.append(input);
          return label;
        }),
      );
    }
    form.hidden = Object.keys(formation).length === 0;
    followLogs(app, instances.map((i) => `${i.name}=${i.state}:${i.id}`).join(' '));
    show(byId('containers'), [
      ...instances.map((i) => {
        const item = el('li', `${i.name} `);
        item.append(badge(i.state, `${i.state} (CID: ${i.id.slice(0, 11)}, v${i.release})`));
        return item;
      }),
    ]);
    const state = stateOf(processes);
    byId('state-badge').replaceChildren(badge(state));
    byId('summary').textContent = `${state}, ${instances.length} container(s)`;
  };
};

/** Reading usage makes the engine sample each container for about a second. */
export const USAGE_MS = 5000;
// The last few minutes of each container's CPU and memory, as small line charts.
const USAGE_POINTS = 60;
const usageHistory = new Map<string, { cpu: number[]; memory: number[] }>();

function sparkline(values: number[], max: number, label: string): SVGSVGElement {
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', `0 0 ${USAGE_POINTS} 20`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const line = document.createElementNS(svgNs, 'polyline');
  line.setAttribute('points', chartPoints(values, max, USAGE_POINTS));
  svg.append(line);
  return svg;
}

function usageFigure(usage: UsageJson): HTMLElement {
  const history = usageHistory.get(usage.process) ?? { cpu: [], memory: [] };
  usageHistory.set(usage.process, history);
  if (usage.cpu_percent !== null) history.cpu = [...history.cpu, usage.cpu_percent].slice(-USAGE_POINTS);
  if (usage.memory_bytes !== null) history.memory = [...history.memory, usage.memory_bytes].slice(-USAGE_POINTS);
  const figure = el('figure');
  const cpuText = usage.cpu_percent === null ? 'not reachable from here' : `${usage.cpu_percent}% CPU`;
  const memoryText =
    usage.memory_bytes === null ? '' : `, ${mib(usage.memory_bytes)} of ${mib(usage.memory_limit_bytes)}`;
  figure.append(
    el('figcaption', `${usage.process} (v${usage.release}): ${cpuText}${memoryText}`),
    // Scaled to what was seen (a line at the bottom of a host-sized scale shows nothing).
    sparkline(history.cpu, Math.max(5, ...history.cpu) * 1.25, `CPU of ${usage.process}`),
    sparkline(history.memory, Math.max(...history.memory, 1) * 1.25, `Memory of ${usage.process}`),
  );
  return figure;
}

export async function refreshUsage(app: string): Promise<void> {
  const rows = await readUsage(app);
  show(byId('usage'), [...(rows.length ? rows.map(usageFigure) : [el('p', 'No container runs', { class: 'empty' })])]);
}
