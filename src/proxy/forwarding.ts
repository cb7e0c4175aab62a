import { UserError } from '../core/errors.js';
import type { State } from '../state/index.js';

/**
 * What nginx tells an app about the client, as Dokku's `nginx:set` properties. By default
 * the address that connected (`$remote_addr`): passing on the client's own
 * X-Forwarded-For would let anyone choose the address an app logs and rate-limits. Hosts
 * behind a trusted proxy set `$proxy_add_x_forwarded_for` or `$http_x_forwarded_for`.
 */
export const FORWARDED_DEFAULTS = {
  'x-forwarded-for-value': '$remote_addr',
  'x-forwarded-port-value': '$server_port',
  'x-forwarded-proto-value': '$scheme',
} as const;
export type ForwardedProperty = keyof typeof FORWARDED_DEFAULTS;
export const FORWARDED_PROPERTIES = Object.keys(FORWARDED_DEFAULTS) as ForwardedProperty[];

/** One nginx variable: nothing that could end the directive or add another. */
const NGINX_VARIABLE = /^\$[a-z_][a-z0-9_]{0,63}$/;

const propertyKey = (property: ForwardedProperty) => `nginx.${property}`;

export interface ForwardedHeaders {
  for: string;
  port: string;
  proto: string;
}

export function forwardedHeaders(state: State, app: string): ForwardedHeaders {
  const value = (property: ForwardedProperty) => state.properties.get(app, propertyKey(property)) ?? FORWARDED_DEFAULTS[property];
  return { for: value('x-forwarded-for-value'), port: value('x-forwarded-port-value'), proto: value('x-forwarded-proto-value') };
}

export function setForwarded(state: State, app: string, property: ForwardedProperty, value: string | undefined): void {
  if (value !== undefined && !NGINX_VARIABLE.test(value)) {
    throw new UserError(`Invalid ${property} ${value}: give one nginx variable, such as $remote_addr or $http_x_forwarded_for`);
  }
  state.properties.set(app, propertyKey(property), value);
}

export const isNginxVariable = (value: string) => NGINX_VARIABLE.test(value);
