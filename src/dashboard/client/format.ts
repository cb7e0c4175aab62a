// What the dashboard shows, worked out from what the API answers: no DOM, no requests, so
// it runs (and is tested) outside a browser too.
import type { AppSummary, CommandOutput, DeployEnd, DeployJson } from '../../model/api.js';

/** "… ago" for an ISO time (empty for none), as of `now`. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/** An app's state in words, from its summary (or `ps:report`'s `running`, which is the same word). */
export function stateOf({
  deployed,
  stopped,
  sleeping,
  running,
}: Pick<AppSummary, 'deployed' | 'stopped' | 'sleeping'> & { running: string | undefined }): string {
  if (!deployed) return 'not deployed';
  if (stopped) return 'stopped';
  if (sleeping) return 'sleeping';
  return running === 'true' ? 'running' : running === 'mixed' ? 'partly running' : 'failed';
}

/** The deploy an app page shows the log of by itself: one under way, else the newest (a fast one is still shown, whole). */
export function deployToFollow(deploys: DeployJson[]): DeployJson | undefined {
  return deploys.find((d) => d.status === 'running' || d.status === 'queued') ?? deploys[0];
}

/** The line a deploy log ends with. */
export function deployOutcome(result: DeployEnd): string {
  return result.ok ? '\n(deploy succeeded)\n' : `\n(deploy failed: ${result.message ?? ''})\n`;
}

export function mib(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Splits a stream of text into its whole lines as chunks come: each call gets the lines the
 * chunk completed; a line cut between chunks waits for the rest.
 */
export function lineSplitter(): (chunk: string) => string[] {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    return lines;
  };
}

/**
 * A line chart's points for the last `width` samples, right-aligned (the newest at the right
 * edge), 20 high, scaled so `max` is at the top and anything above it is cut there.
 */
export function chartPoints(values: number[], max: number, width: number): string {
  const top = Math.max(max, 1e-9);
  return values.map((v, i) => `${i + width - values.length},${20 - (Math.min(v, top) / top) * 19}`).join(' ');
}

/** How a state or status looks: its badge's colour. */
export type Tone = 'good' | 'bad' | 'busy' | 'idle';

const TONES: Record<string, Tone> = {
  running: 'good',
  succeeded: 'good',
  ready: 'good',
  active: 'good',
  failed: 'bad',
  'partly running': 'bad',
  down: 'bad',
  queued: 'busy',
  pending: 'busy',
  drain: 'busy',
};

/** The tone of an app's state, a deploy's or release's status, or a node's state (anything else: idle). */
export const toneOf = (word: string): Tone => TONES[word] ?? 'idle';

/** How long something took, from two ISO times (or until `now` while it runs): `42 s`, `3 min 5 s`. */
export function duration(start: string, end: string | null, now = Date.now()): string {
  const seconds = Math.max(0, Math.round(((end ? Date.parse(end) : now) - Date.parse(start)) / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The lines that contain `query`, case-insensitively (all of them for an empty query). */
export function matchingLines(lines: readonly string[], query: string): string[] {
  const wanted = query.trim().toLowerCase();
  return wanted ? lines.filter((line) => line.toLowerCase().includes(wanted)) : [...lines];
}

/** A finished command's result from its NDJSON output: stdout's lines, or why it failed (its ` !     ` lines). */
export function commandResult(output: CommandOutput[]): { ok: true; lines: string[] } | { ok: false; error: string } {
  const exit = output.find((entry): entry is { exit: number } => 'exit' in entry);
  const lines = output.filter((entry) => 'line' in entry);
  if (exit?.exit === 0) return { ok: true, lines: lines.filter((l) => l.stream === 'stdout').map((l) => l.line) };
  const errors = lines.filter((l) => l.stream === 'stderr').map((l) => l.line.replace(/^ ! {5}/, ''));
  return { ok: false, error: errors.join(' ') || (exit ? `exit status ${exit.exit}` : 'the connection ended') };
}
