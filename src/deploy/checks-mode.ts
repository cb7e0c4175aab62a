import { UserError } from '../core/errors.js';
import type { State } from '../state/index.js';

/**
 * Per process type, like Dokku's checks plugin: `enabled` (start, check, then swap),
 * `skipped` (swap without checking) or `disabled` (stop the old containers first: downtime).
 */
export type ChecksMode = 'enabled' | 'disabled' | 'skipped';

const ALL = '_all_';
const KEYS = { disabled: 'checks.disabled', skipped: 'checks.skipped' } as const;

function readList(state: State, app: string, mode: 'disabled' | 'skipped'): string[] {
  return (state.properties.get(app, KEYS[mode]) ?? '').split(',').filter(Boolean);
}

export function checksModeFor(state: State, app: string, processType: string): ChecksMode {
  for (const mode of ['disabled', 'skipped'] as const) {
    const list = readList(state, app, mode);
    if (list.includes(ALL) || list.includes(processType)) return mode;
  }
  return 'enabled';
}

/** Moves process types (or all of them, given none) into a mode; the two lists never overlap. */
export function setChecksMode(state: State, app: string, mode: ChecksMode, processTypes: string[]): void {
  for (const type of processTypes) {
    if (!/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(type)) throw new UserError(`Invalid process type specified (${type})`);
  }
  const targets = processTypes.length === 0 ? [ALL] : processTypes;
  for (const list of ['disabled', 'skipped'] as const) {
    const current = targets.includes(ALL) ? [] : readList(state, app, list).filter((t) => !targets.includes(t));
    const next = list === mode ? [...new Set([...(targets.includes(ALL) ? [] : current), ...targets])] : current;
    state.properties.set(app, KEYS[list], next.length ? next.join(',') : undefined);
  }
}

export function checksReport(state: State, app: string): { disabled: string; skipped: string } {
  const show = (list: string[]) => (list.length ? list.join(',') : 'none');
  return { disabled: show(readList(state, app, 'disabled')), skipped: show(readList(state, app, 'skipped')) };
}
