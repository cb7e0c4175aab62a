// The app's container logs, followed live (`logs --tail` through /commands, read as it
// streams) in a log viewer that filters and pauses. The follow ends when its containers stop,
// and is started again whenever the set of running containers changes, so a deploy or a
// scale shows the new containers' lines.
import type { CommandOutput } from '../../model/api.js';
import { lineSplitter } from './format.js';
import { logViewer, type LogViewer } from './log-viewer.js';
import type { AppSection } from './app-page.js';
import { byId, csrf } from './page.js';

const LOG_LINES = 500;
const FOLLOW_RETRY_MS = 2000;
let logFollow: { containers: string; controller: AbortController } | undefined;
let viewer: LogViewer | undefined;

async function followLogsOnce(app: string, signal: AbortSignal, logs: LogViewer): Promise<void> {
  const response = await fetch('/api/v1/commands', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ command: ['logs', app, '--num', '50', '--tail'] }),
    signal,
  });
  if (response.status === 401) return location.assign('/login');
  logs.clear();
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const lines = lineSplitter();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    for (const entry of lines(value)
      .filter(Boolean)
      .map((line) => JSON.parse(line) as CommandOutput)) {
      if ('line' in entry) logs.append(entry.line.replace(/^ ! {5}/, ''));
    }
  }
}

/** Follows the logs of the containers named by `containers` (restarting when that changes); none: nothing to follow. */
export function followLogs(app: string, containers: string): void {
  if (logFollow?.containers === containers) return;
  logFollow?.controller.abort();
  const follow = { containers, controller: new AbortController() };
  logFollow = follow;
  const logs = viewer;
  if (containers === '' || !logs) return;
  void (async () => {
    while (!follow.controller.signal.aborted) {
      await followLogsOnce(app, follow.controller.signal, logs).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_RETRY_MS));
    }
  })();
}

/** The viewer is made once; what it follows is set by the processes section (followLogs). */
export const logsSection: AppSection = () => {
  viewer = logViewer(byId('app-logs'), 'app logs', LOG_LINES);
  return async () => {};
};
