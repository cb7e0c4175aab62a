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
    if (!/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(type))
      throw new UserError(`Invalid process type specified (${type})`);
  }
  const targets = processTypes.length === 0 ? [ALL] : processTypes;
  for (const list of ['disabled', 'skipped'] as const) {
    const current = targets.includes(ALL) ? [] : readList(state, app, list).filter((t) => !targets.includes(t));
    const next = list === mode ? [...new Set([...(targets.includes(ALL) ? [] : current), ...targets])] : current;
    state.properties.set(app, KEYS[list], next.length ? next.join(',') : undefined);
  }
}

/** The process types that disable or skip their checks (`_all_`: every type). */
export function checksLists(state: State, app: string): { disabled: string[]; skipped: string[] } {
  return { disabled: readList(state, app, 'disabled'), skipped: readList(state, app, 'skipped') };
}

export function checksReport(state: State, app: string): { disabled: string; skipped: string } {
  const show = (list: string[]) => (list.length ? list.join(',') : 'none');
  const lists = checksLists(state, app);
  return { disabled: show(lists.disabled), skipped: show(lists.skipped) };
}

const WAIT_TO_RETIRE = 'checks.wait-to-retire';
// Each restart keeps a full old set this long: an hour of doubled containers is too much to give a tenant.
const MAX_WAIT_TO_RETIRE_SECONDS = 600;

/** How long old containers keep serving after a swap: the app's own setting, else the host's. */
export function waitToRetireMs(state: State, app: string, defaultMs: number): number {
  const seconds = state.properties.get(app, WAIT_TO_RETIRE);
  return seconds === undefined ? defaultMs : Number(seconds) * 1000;
}

/** `checks:set <app> wait-to-retire [seconds]`; no value goes back to the host's default. */
export function setWaitToRetire(state: State, app: string, seconds: string | undefined): void {
  if (seconds !== undefined && !(/^\d{1,4}$/.test(seconds) && Number(seconds) <= MAX_WAIT_TO_RETIRE_SECONDS)) {
    throw new UserError(
      `Invalid wait-to-retire ${seconds}: give whole seconds from 0 to ${MAX_WAIT_TO_RETIRE_SECONDS}`,
    );
  }
  state.properties.set(app, WAIT_TO_RETIRE, seconds);
}
