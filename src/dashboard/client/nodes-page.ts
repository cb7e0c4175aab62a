// The swarm's nodes (admins): each host with its role, state, availability, labels and the
// app tasks on it; drain and activate. On a single host (no swarm) it says so.
import { act, badge, button, byId, command, el, every, show } from './page.js';
import { readNodes, type NodeJson } from './resources.js';

/** Nodes change by themselves (a host goes down), so the page reads them again this often. */
const REFRESH_MS = 10_000;

function nodeCard(node: NodeJson): HTMLElement {
  const card = el('article', undefined, { class: 'card node', 'aria-label': `Node ${node.hostname}` });
  const head = el('header', undefined, { class: 'card-head' });
  head.append(
    el('h2', node.hostname),
    badge(node.state),
    badge(node.availability),
    badge('idle', node.leader ? 'leader' : node.role),
  );
  const facts = el('dl', undefined, { class: 'facts' });
  const fact = (term: string, value: string) => facts.append(el('dt', term), el('dd', value || '-'));
  fact('Address', node.address);
  fact('Engine', node.engine_version);
  fact('Id', node.id.slice(0, 12));
  fact(
    'Labels',
    Object.entries(node.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );
  const tasks = el('ul', undefined, { class: 'tasks' });
  for (const task of node.tasks) {
    const item = el('li', `${task.app} ${task.process}.${task.index} v${task.release} `);
    item.append(badge(task.state));
    tasks.append(item);
  }
  if (!node.tasks.length) tasks.append(el('li', 'No app runs here', { class: 'empty' }));
  const draining = node.availability === 'drain';
  const toggle = button(
    draining ? 'Activate' : 'Drain',
    () =>
      void act(`${draining ? 'Activating' : 'Draining'} ${node.hostname}`, () =>
        command([draining ? 'nodes:activate' : 'nodes:drain', node.id]).then(refreshNodes),
      ),
    `${draining ? 'Activate' : 'Drain'} ${node.hostname}`,
  );
  card.append(head, facts, el('h3', 'Tasks'), tasks, toggle);
  return card;
}

async function refreshNodes(): Promise<void> {
  const nodes = await readNodes();
  byId('single-host').hidden = nodes.length > 0;
  show(byId('nodes'), [...nodes.map(nodeCard)]);
}

export function nodesPage(): void {
  if (!document.getElementById('nodes')) return; // not an admin
  every(REFRESH_MS, refreshNodes);
}
