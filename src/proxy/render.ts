import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { z } from 'zod';
import { isValidAppName, isValidDomain } from '../core/names.js';
import {
  appLogPath,
  isValidNginxValue,
  NGINX_DEFAULTS,
  NGINX_PROPERTIES,
  NGINX_PROPERTY_NAMES,
  type NginxProperty,
  type NginxSettings,
} from './nginx-properties.js';

const templatesDir = new URL('../../templates/nginx/', import.meta.url);
export const LUA_DIR = fileURLToPath(new URL('lua', templatesDir));

// noEscape: this is nginx syntax, not HTML. Injection is prevented by validating every value below.
const handlebars = Handlebars.create();
const compile = (name: string) =>
  handlebars.compile(fs.readFileSync(new URL(name, templatesDir), 'utf8'), { noEscape: true, strict: true });
handlebars.registerPartial('proxy_pass', fs.readFileSync(new URL('proxy-pass.hbs', templatesDir), 'utf8'));
const templates = {
  main: compile('main.conf.hbs'),
  status: compile('status.conf.hbs'),
  app: compile('app.conf.hbs'),
  stream: compile('stream.conf.hbs'),
};

const absolutePath = z.string().regex(/^\/[A-Za-z0-9._/-]+$/, 'must be an absolute path of safe characters');
const port = z.number().int().min(1).max(65535);
const appName = z.string().refine(isValidAppName, 'invalid app name');
const secret = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits');
/** Every nginx:set property, each valid for its kind ('' only where that is its default). */
const nginxSettingsSchema = z.object(
  Object.fromEntries(
    NGINX_PROPERTY_NAMES.map((p) => [
      p,
      z
        .string()
        .refine((v) => (v === '' ? NGINX_PROPERTIES[p].default === '' : isValidNginxValue(p, v)), `invalid ${p}`),
    ]),
  ) as unknown as Record<NginxProperty, z.ZodType<string>>,
);

/** A DNS name, or a `*.` wildcard over one, as nginx's server_name takes them. */
const serverName = z.string().refine((d) => isValidDomain(d.startsWith('*.') ? d.slice(2) : d), 'invalid domain');

/** A certificate and key, as tlsFiles gives them; the fingerprint is written into the config so a new certificate reloads nginx. */
const tlsSchema = z.object({
  certFile: absolutePath,
  keyFile: absolutePath,
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
});

const listenerSchema = z.object({ port, ssl: z.boolean(), redirect: z.boolean(), container: port.nullable() });

const appServerSchema = z.object({
  app: appName,
  /** One server block each: the app's port mappings (see proxy/ports.ts). */
  listeners: z.array(listenerSchema),
  /** Listen on IPv6 as well (when the host has it). */
  ipv6: z.boolean(),
  domains: z.array(serverName).min(1),
  /** The app's certificate and key files, or null for HTTP only. */
  tls: tlsSchema.nullable(),
  /** Where the app's own access and error logs go unless nginx:set says otherwise. */
  logsDir: absolutePath,
  /** Where ACME HTTP-01 challenge responses are, one file per token (readable by nginx's workers). */
  acmeDir: absolutePath,
  nginx: nginxSettingsSchema,
  /** The app takes no traffic now: 502 for its domains. */
  parked: z.boolean(),
  /** Where a block with wildcard names logs the requests it hands to the shared map (see MainConfig). */
  mapLogsDir: absolutePath,
  sharedErrorLog: absolutePath,
});
export type AppServer = z.infer<typeof appServerSchema>;

export const backendSchema = z.object({ host: z.ipv4(), port });
export type Backend = z.infer<typeof backendSchema>;

/** What the main config is made of. */
export interface MainConfig {
  dir: string;
  tempDir: string;
  httpPort: number;
  httpsPort: number;
  ipv6: boolean;
  modulesDir: string;
  /** Where the daemon serves its API and dashboard, published on `dashboardDomain`. */
  apiPort: number;
  /** Sent to the API with every request nginx passes it, so the API trusts the X-Forwarded-* headers of those alone. */
  proxySecret: string;
  dashboardDomain: string;
  /** The dashboard host's certificate: with one, it is served over HTTPS and HTTP redirects there. */
  dashboardTls: z.infer<typeof tlsSchema> | null;
  /** Where ACME HTTP-01 challenge answers are written. */
  acmeDir: string;
  /** nginx's own server that answers for an app with no running container (503, Retry-After). */
  unavailableSocket: string;
  /** Where the daemon takes nginx's requests to wake a sleeping app, and the token they carry. */
  wakeSocket: string;
  wakeToken: string;
  /** The error log of the shared map's server (apps without a block of their own). */
  sharedErrorLog: string;
  /** Where it writes their access logs, one file per app, opened by the workers. */
  mapLogsDir: string;
  /** Where the master reads, on start, the certificates of the apps the map serves over HTTPS (`<app>/server.crt`). */
  certsDir: string;
  /** What the shared HTTPS server names as its certificate, as nginx wants one; never served. */
  placeholderTls: { certFile: string; keyFile: string };
}

export function renderMain(input: MainConfig): string {
  return templates.main({
    apiPort: port.parse(input.apiPort),
    proxySecret: secret.parse(input.proxySecret),
    dashboardDomain: z.string().refine(isValidDomain, 'invalid domain').parse(input.dashboardDomain),
    dashboardTls: tlsSchema.nullable().parse(input.dashboardTls),
    httpsPortSuffix: input.httpsPort === 443 ? '' : `:${port.parse(input.httpsPort)}`,
    acmeDir: absolutePath.parse(input.acmeDir),
    unavailableSocket: absolutePath.parse(input.unavailableSocket),
    wakeSocket: absolutePath.parse(input.wakeSocket),
    wakeToken: secret.parse(input.wakeToken),
    sharedErrorLog: absolutePath.parse(input.sharedErrorLog),
    mapLogsDir: absolutePath.parse(input.mapLogsDir),
    certsDir: absolutePath.parse(input.certsDir),
    placeholderTls: z.object({ certFile: absolutePath, keyFile: absolutePath }).parse(input.placeholderTls),
    ipv6: z.boolean().parse(input.ipv6),
    dir: absolutePath.parse(input.dir),
    tempDir: absolutePath.parse(input.tempDir),
    httpPort: port.parse(input.httpPort),
    httpsPort: port.parse(input.httpsPort),
    modulesDir: absolutePath.parse(input.modulesDir),
    luaDir: absolutePath.parse(LUA_DIR),
    shared: sharedDirectives,
  });
}

export function renderStatus(input: { dir: string; generation: string }): string {
  const generation = z
    .string()
    .regex(/^[a-z0-9]+$/)
    .parse(input.generation);
  return templates.status({ dir: absolutePath.parse(input.dir), generation });
}

/** An app's server block: its domains and nginx:set properties. Which containers serve it is not part of it. */
export function renderApp(server: AppServer): string {
  const valid = appServerSchema.parse(server);
  const httpsPort = valid.listeners.find((l) => l.ssl)?.port ?? 443;
  return templates.app({
    ...valid,
    httpsPortSuffix: httpsPort === 443 ? '' : `:${httpsPort}`,
    directives: directivesOf(valid.nginx, valid.app, valid.logsDir),
    wildcards: valid.domains.some((d) => d.startsWith('*.')),
    shared: sharedDirectives,
  });
}

const streamsSchema = z.object({
  app: appName,
  ipv6: z.boolean(),
  streams: z.array(z.object({ scheme: z.enum(['tcp', 'udp']), port, container: port })),
  /** The addresses of the app's running web containers. */
  hosts: z.array(z.ipv4()),
});

/** An app's TCP and UDP forwards (nginx's stream module), or undefined when it maps none. */
export function renderStreams(input: z.input<typeof streamsSchema>): string | undefined {
  const valid = streamsSchema.parse(input);
  if (valid.streams.length === 0) return undefined;
  const streams = valid.streams.map((s) => ({
    ...s,
    udp: s.scheme === 'udp',
    peers: valid.hosts.map((host) => `${host}:${s.container}`),
  }));
  return templates.stream({ app: valid.app, ipv6: valid.ipv6, streams });
}

/** The shared map's servers: every property at its default (host-map.ts routes only such apps there). */
const sharedDirectives = directivesOf(NGINX_DEFAULTS, '', '/');

/** The properties as the template writes them. */
function directivesOf(nginx: NginxSettings, app: string, logsDir: string) {
  const accessPath = appLogPath(nginx, logsDir, app, 'access');
  const errorPath = appLogPath(nginx, logsDir, app, 'error');
  const hsts = [`max-age=${nginx['hsts-max-age']}`];
  if (nginx['hsts-include-subdomains'] === 'true') hsts.push('includeSubDomains');
  if (nginx['hsts-preload'] === 'true') hsts.push('preload');
  return {
    listen4: nginx['bind-address-ipv4'] ? `${nginx['bind-address-ipv4']}:` : '',
    listen6: `[${nginx['bind-address-ipv6'] || '::'}]`,
    accessLog:
      accessPath === 'off' ? 'off' : `${accessPath} ${nginx['access-log-format'] || 'combined'} buffer=64k flush=1s`,
    errorLog: errorPath === 'off' ? '/dev/null' : errorPath,
    hsts: nginx.hsts === 'true' ? hsts.join('; ') : '',
    clientMaxBodySize: nginx['client-max-body-size'],
    keepaliveTimeout: nginx['keepalive-timeout'],
    proxyBuffering: nginx['proxy-buffering'],
    proxyBufferSize: nginx['proxy-buffer-size'],
    proxyBuffers: nginx['proxy-buffers'],
    proxyBusyBuffersSize: nginx['proxy-busy-buffers-size'],
    proxyConnectTimeout: nginx['proxy-connect-timeout'],
    proxyReadTimeout: nginx['proxy-read-timeout'],
    proxySendTimeout: nginx['proxy-send-timeout'],
    forwardedFor: nginx['x-forwarded-for-value'],
    forwardedPort: nginx['x-forwarded-port-value'],
    forwardedProto: nginx['x-forwarded-proto-value'],
    forwardedSsl: nginx['x-forwarded-ssl'],
  };
}

/**
 * An app's backends: its peers, and for a while after a swap the previous release's (the
 * fallback), which a request that failed on a peer is retried on.
 */
export interface AppBackends {
  peers: Backend[];
  fallback: Backend[];
  /** The app sleeps: the balancer holds its requests and asks for it to be woken (backends.lua). */
  sleeping?: boolean;
  /** Its domains, when the shared map routes them (it has no server block of its own; see host-map.ts). */
  domains?: string[];
  /** Routed by the map but taking no traffic: its domains answer 502. */
  parked?: boolean;
  /** Routed by the map over HTTPS with its certificate (HTTP redirects there). */
  tls?: boolean;
  /**
   * Its domains are listed only for the map to know nginx's order of names: the app has a
   * block of its own, which a block's wildcard defers to the map's more exact names by.
   */
  block?: boolean;
}

const peerList = (peers: Backend[]) =>
  z
    .array(backendSchema)
    .parse(peers)
    .map((b) => `${b.host}:${b.port}`)
    .join(',');

/** One app's part of the backends text: its line (none while it is awake with no peers) and its domains' lines. */
export interface RenderedBackends {
  line: string;
  hosts: string;
}

/** One app's lines of the backends text (see renderBackends), each value validated first. */
export function renderAppBackends(app: string, backends: AppBackends): RenderedBackends {
  const list = (peers: Backend[]) => (peers.length > 0 ? peerList(peers) : '-');
  const name = appName.parse(app);
  const { peers, fallback, sleeping, domains = [], parked, tls, block } = backends;
  const line = sleeping
    ? `${name} ${list(peers)} ${list(fallback)} sleeping\n`
    : peers.length + fallback.length > 0
      ? `${name} ${list(peers)}${fallback.length > 0 ? ` ${peerList(fallback)}` : ''}\n`
      : '';
  const flags = Object.entries({ parked, tls, block }).flatMap(([flag, on]) => (on ? [` ${flag}`] : []));
  const owner = `${name}${flags.join('')}`;
  return { line, hosts: domains.map((domain) => `host:${serverName.parse(domain)} ${owner}\n`).join('') };
}

/** The backends text of apps rendered one by one (renderAppBackends): every app's line, then every domain's, by app. */
export function joinBackends(rendered: ReadonlyMap<string, RenderedBackends>): string {
  const apps = [...rendered.keys()].sort();
  return apps.map((app) => rendered.get(app)!.line).join('') + apps.map((app) => rendered.get(app)!.hosts).join('');
}

/**
 * Every app's backends as the Lua side reads them, sorted: `app ip:port,ip:port`, with the
 * fallback after another space (`-` for no peers while a fallback remains); a sleeping app's
 * line has both lists (`-` for none) and then `sleeping`. Then the shared map: a
 * `host:<domain> app [parked] [tls] [block]` line for each domain of every app.
 */
export function renderBackends(backends: Record<string, AppBackends>): string {
  return joinBackends(new Map(Object.entries(backends).map(([app, b]) => [app, renderAppBackends(app, b)])));
}

export function parseBackends(text: string): Record<string, AppBackends> {
  const backends: Record<string, AppBackends> = {};
  const parsePeers = (list: string | undefined) =>
    !list || list === '-'
      ? []
      : list.split(',').map((peer) => {
          const [host = '', p = ''] = peer.split(':');
          return { host, port: Number(p) };
        });
  for (const line of text.split('\n').filter(Boolean)) {
    if (line.startsWith('host:')) {
      const [domain = '', app = '', ...flags] = line.slice('host:'.length).split(' ');
      const entry = (backends[app] ??= { peers: [], fallback: [] });
      (entry.domains ??= []).push(domain);
      for (const flag of flags) if (flag === 'parked' || flag === 'tls' || flag === 'block') entry[flag] = true;
      continue;
    }
    const [app = '', peers, fallback, flag] = line.split(' ');
    backends[app] = { peers: parsePeers(peers), fallback: parsePeers(fallback) };
    if (flag === 'sleeping') backends[app].sleeping = true;
  }
  return backends;
}
