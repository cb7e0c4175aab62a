import { UserError } from './errors.js';

/**
 * App names follow Dokku's rule, narrowed so every valid name is also a valid Docker image
 * path component and DNS label: separators (`.`, `-`) sit between alphanumerics.
 */
const APP_NAME = /^[a-z0-9]+(?:(?:\.|-+)[a-z0-9]+)*$/;
export const APP_NAME_MAX = 63;
export const APP_NAME_RULE =
  'App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens';

export function isValidAppName(name: string): boolean {
  return name.length <= APP_NAME_MAX && APP_NAME.test(name);
}

export function parseAppName(name: string | undefined): string {
  if (name === undefined || name === '') throw new UserError('Please specify an app to run the command on');
  if (!isValidAppName(name)) throw new UserError(APP_NAME_RULE);
  return name;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function parseKeyName(name: string | undefined): string {
  if (!name) throw new UserError('A key name is required');
  if (!KEY_NAME.test(name)) {
    throw new UserError('Key name may only contain letters, digits, dots, underscores, @ and hyphens (at most 64)');
  }
  return name;
}

/** A DNS name nginx may safely see in `server_name`: labels of [a-z0-9-], dots between. */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function isValidDomain(domain: string): boolean {
  return DOMAIN.test(domain);
}

export const GIT_REV = /^[0-9a-f]{40}$/;
