import type { State } from '../state/index.js';

const DISABLED = 'proxy.disabled';

/**
 * Whether nginx routes the app's traffic (proxy:disable turns it off, as in Dokku: the
 * app's web containers then answer on host ports of their own instead).
 */
export function isProxyEnabled(state: State, app: string): boolean {
  return state.properties.get(app, DISABLED) !== 'true';
}

export function setProxyEnabled(state: State, app: string, enabled: boolean): void {
  state.properties.set(app, DISABLED, enabled ? undefined : 'true');
}
