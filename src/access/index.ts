import { ForbiddenError, NotFoundError, UserError } from '../core/errors.js';
import { isValidAppName, parseKeyName } from '../core/names.js';
import type { State } from '../state/index.js';

/** Who is calling: an SSH key by name, or `root` on the host. */
export interface Caller {
  name: string;
  isAdmin: boolean;
  /** Root on the host itself (the `slipway` CLI), not a key: no key can be named like it. */
  host?: true;
  /** The id of the API token it presented (HTTP API and dashboard), when it is not a key over SSH. */
  tokenId?: string;
  /** A scrape token's: it may read /metrics and nothing else (and is never an admin). */
  scrapeOnly?: true;
}

/** Admins may use every app; any other key only the apps it was granted (acl:add). */
export function mayUseApp(state: State, caller: Caller, app: string): boolean {
  return caller.isAdmin || (isValidAppName(app) && state.access.allows(app, caller.name));
}

/**
 * Refuses a non-admin key an app it was not granted, with the same words whether the app
 * exists or not, so a key cannot probe for other apps' names.
 */
export function requireAppAccess(state: State, caller: Caller, app: string | undefined, action: string): void {
  if (app !== undefined && mayUseApp(state, caller, app)) return;
  if (caller.isAdmin) return; // admins get the command's own "does not exist" message
  throw new NotFoundError(`Key ${caller.name} may not ${action} ${app ?? 'that app'}, or it does not exist`);
}

export function requireAdmin(caller: Caller, action: string): void {
  if (!caller.isAdmin) throw new ForbiddenError(`${action} needs an admin key`);
}

/** Grants a key an app; admins need no grants, so granting one is refused as a likely mistake. */
export function grantAccess(state: State, app: string, keyName: string): boolean {
  const key = requireKey(state, keyName);
  if (key.isAdmin) throw new UserError(`Key ${key.name} is an admin key and may use every app already`);
  return state.access.grant(app, key.name);
}

export function revokeAccess(state: State, app: string, keyName: string): boolean {
  return state.access.revoke(app, requireKey(state, keyName).name);
}

function requireKey(state: State, name: string) {
  const key = state.keys.byName(parseKeyName(name));
  if (!key) throw new NotFoundError(`No key named ${name}`);
  return key;
}
