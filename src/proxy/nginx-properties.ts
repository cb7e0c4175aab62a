import net from 'node:net';
import { UserError } from '../core/errors.js';
import { GLOBAL_SCOPE, type State } from '../state/index.js';

/**
 * Dokku's `nginx:set` properties: how an app's server block proxies, logs and listens. Each
 * has a value per app, a global one (`--global`), and a default; the app's own wins. Every
 * value is checked against its kind's pattern before it is stored, and again when the block
 * is rendered, so none can end a directive or add another.
 */
const KINDS = {
  /** nginx sizes: `0` (no limit), `512`, `8k`, `100m`, `1g`. */
  size: { pattern: /^(?:0|[1-9][0-9]{0,8}[kKmMgG]?)$/, example: 'a size such as 1m, 512k or 0' },
  time: { pattern: /^[1-9][0-9]{0,8}(?:ms|s|m|h|d)?$/, example: 'a time such as 60s, 5m or 1h' },
  seconds: { pattern: /^[0-9]{1,10}$/, example: 'a number of seconds' },
  switch: { pattern: /^(?:on|off)$/, example: 'on or off' },
  bool: { pattern: /^(?:true|false)$/, example: 'true or false' },
  buffers: { pattern: /^[1-9][0-9]{0,3} [1-9][0-9]{0,8}[kKmM]?$/, example: 'a number and a size, such as "8 4k"' },
  /** One nginx variable: by default the address that connected, never what a client claims. */
  variable: {
    pattern: /^\$[a-z_][a-z0-9_]{0,63}$/,
    example: 'one nginx variable, such as $remote_addr or $http_x_forwarded_for',
  },
  logPath: {
    pattern: /^(?:off|\/[A-Za-z0-9._/-]{1,255})$/,
    example: 'an absolute path, or off',
    check: (v: string) => !v.split('/').some((part) => part === '..' || part === '.'),
  },
  logFormat: { pattern: /^[a-z][a-z0-9_]{0,63}$/, example: 'the name of an nginx log_format, such as combined' },
  ipv4: { pattern: /^[0-9.]{7,15}$/, example: 'an IPv4 address of this host', check: (v: string) => net.isIPv4(v) },
  ipv6: {
    pattern: /^[0-9a-fA-F:.]{2,45}$/,
    example: 'an IPv6 address of this host, such as ::',
    check: (v: string) => net.isIPv6(v),
  },
} as const;
type Kind = keyof typeof KINDS;

interface PropertySpec {
  kind: Kind;
  /** '' leaves nginx's own behaviour (or, for log paths, the app's own file). */
  default: string;
  /** Only admins set it: it names host files nginx opens as root, or takes addresses from other apps. */
  adminOnly?: boolean;
}

export const NGINX_PROPERTIES = {
  'access-log-format': { kind: 'logFormat', default: '' },
  'access-log-path': { kind: 'logPath', default: '', adminOnly: true },
  'bind-address-ipv4': { kind: 'ipv4', default: '', adminOnly: true },
  'bind-address-ipv6': { kind: 'ipv6', default: '', adminOnly: true },
  'client-max-body-size': { kind: 'size', default: '1m' },
  'error-log-path': { kind: 'logPath', default: '', adminOnly: true },
  hsts: { kind: 'bool', default: 'true' },
  'hsts-include-subdomains': { kind: 'bool', default: 'true' },
  'hsts-max-age': { kind: 'seconds', default: '15724800' },
  'hsts-preload': { kind: 'bool', default: 'false' },
  'keepalive-timeout': { kind: 'time', default: '65s' },
  'proxy-buffer-size': { kind: 'size', default: '4k' },
  'proxy-buffering': { kind: 'switch', default: 'on' },
  'proxy-buffers': { kind: 'buffers', default: '8 4k' },
  'proxy-busy-buffers-size': { kind: 'size', default: '8k' },
  // Shorter than Dokku's 60s: a container that does not accept is skipped for the next one.
  'proxy-connect-timeout': { kind: 'time', default: '5s' },
  'proxy-read-timeout': { kind: 'time', default: '60s' },
  'proxy-send-timeout': { kind: 'time', default: '60s' },
  'x-forwarded-for-value': { kind: 'variable', default: '$remote_addr' },
  'x-forwarded-port-value': { kind: 'variable', default: '$server_port' },
  'x-forwarded-proto-value': { kind: 'variable', default: '$scheme' },
  'x-forwarded-ssl': { kind: 'switch', default: '' },
} as const satisfies Record<string, PropertySpec>;

export type NginxProperty = keyof typeof NGINX_PROPERTIES;
export const NGINX_PROPERTY_NAMES = Object.keys(NGINX_PROPERTIES) as NginxProperty[];

/** The computed value of every property for an app: its own, else the global one, else the default. */
export type NginxSettings = Record<NginxProperty, string>;

/** What applies when nothing is set, for the app or globally. */
export const NGINX_DEFAULTS = Object.fromEntries(
  NGINX_PROPERTY_NAMES.map((p) => [p, NGINX_PROPERTIES[p].default]),
) as NginxSettings;

const storageKey = (property: NginxProperty) => `nginx.${property}`;

export function isValidNginxValue(property: NginxProperty, value: string): boolean {
  const kind: { pattern: RegExp; check?: (v: string) => boolean } = KINDS[NGINX_PROPERTIES[property].kind];
  return kind.pattern.test(value) && (kind.check?.(value) ?? true);
}

/** The value set for an app (or GLOBAL_SCOPE), if any. */
export function ownNginxValue(state: State, scope: string, property: NginxProperty): string | undefined {
  return state.properties.get(scope, storageKey(property));
}

export function nginxSettings(state: State, app: string): NginxSettings {
  const computed = (property: NginxProperty) =>
    ownNginxValue(state, app, property) ?? ownNginxValue(state, GLOBAL_SCOPE, property) ?? NGINX_DEFAULTS[property];
  return Object.fromEntries(NGINX_PROPERTY_NAMES.map((p) => [p, computed(p)])) as NginxSettings;
}

/** Where the app's access or error log goes: the path nginx:set names, its own file under `logsDir`, or `off`. */
export function appLogPath(nginx: NginxSettings, logsDir: string, app: string, kind: 'access' | 'error'): string {
  return nginx[`${kind}-log-path`] || `${logsDir}/${app}-${kind}.log`;
}

/** Checks and stores a value (undefined: back to the global one or the default); returns the one it replaced. */
export function setNginxProperty(
  state: State,
  scope: string,
  property: NginxProperty,
  value: string | undefined,
  byAdmin: boolean,
): string | undefined {
  const spec: PropertySpec = NGINX_PROPERTIES[property];
  if (spec.adminOnly && !byAdmin) throw new UserError(`Only an admin key may set ${property}`);
  if (value !== undefined && !isValidNginxValue(property, value))
    throw new UserError(`Invalid ${property} ${value}: give ${KINDS[spec.kind].example}`);
  const previous = ownNginxValue(state, scope, property);
  state.properties.set(scope, storageKey(property), value);
  return previous;
}
