import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { z } from 'zod';
import { isValidAppName, isValidDomain } from '../core/names.js';
import { isNginxVariable } from './forwarding.js';

const templatesDir = new URL('../../templates/nginx/', import.meta.url);
export const LUA_DIR = fileURLToPath(new URL('lua', templatesDir));

// noEscape: this is nginx syntax, not HTML. Injection is prevented by validating every value below.
const handlebars = Handlebars.create();
const compile = (name: string) =>
  handlebars.compile(fs.readFileSync(new URL(name, templatesDir), 'utf8'), { noEscape: true, strict: true });
const templates = {
  main: compile('main.conf.hbs'),
  status: compile('status.conf.hbs'),
  app: compile('app.conf.hbs'),
};

const absolutePath = z.string().regex(/^\/[A-Za-z0-9._/-]+$/, 'must be an absolute path of safe characters');
const port = z.number().int().min(1).max(65535);
const appName = z.string().refine(isValidAppName, 'invalid app name');
const nginxVariable = z.string().refine(isNginxVariable, 'must be one nginx variable');

/** A DNS name, or a `*.` wildcard over one, as nginx's server_name takes them. */
const serverName = z.string().refine((d) => isValidDomain(d.startsWith('*.') ? d.slice(2) : d), 'invalid domain');

const appServerSchema = z.object({
  app: appName,
  httpPort: port,
  httpsPort: port,
  /** Listen on IPv6 as well (when the host has it). */
  ipv6: z.boolean(),
  domains: z.array(serverName).min(1),
  /** The app's certificate and key files, or null for HTTP only. */
  tls: z.object({ certFile: absolutePath, keyFile: absolutePath }).nullable(),
  /** The X-Forwarded-* values: one nginx variable each. */
  forwarded: z.object({ for: nginxVariable, port: nginxVariable, proto: nginxVariable }),
});
export type AppServer = z.infer<typeof appServerSchema>;

export const backendSchema = z.object({ host: z.ipv4(), port });
export type Backend = z.infer<typeof backendSchema>;

export function renderMain(input: { dir: string; httpPort: number; httpsPort: number; ipv6: boolean; modulesDir: string }): string {
  return templates.main({
    ipv6: z.boolean().parse(input.ipv6),
    dir: absolutePath.parse(input.dir),
    httpPort: port.parse(input.httpPort),
    httpsPort: port.parse(input.httpsPort),
    modulesDir: absolutePath.parse(input.modulesDir),
    luaDir: absolutePath.parse(LUA_DIR),
  });
}

export function renderStatus(input: { dir: string; generation: string }): string {
  const generation = z.string().regex(/^[a-z0-9]+$/).parse(input.generation);
  return templates.status({ dir: absolutePath.parse(input.dir), generation });
}

/** An app's server block: its domains. Which containers serve it is not part of it. */
export function renderApp(server: AppServer): string {
  const valid = appServerSchema.parse(server);
  return templates.app({ ...valid, httpsPortSuffix: valid.httpsPort === 443 ? '' : `:${valid.httpsPort}` });
}

/** Every app's backends as the Lua side reads them: `app ip:port,ip:port` lines, sorted. */
export function renderBackends(backends: Record<string, Backend[]>): string {
  return Object.keys(backends)
    .sort()
    .filter((app) => backends[app]!.length > 0)
    .map((app) => {
      const peers = z.array(backendSchema).min(1).parse(backends[app]);
      return `${appName.parse(app)} ${peers.map((b) => `${b.host}:${b.port}`).join(',')}\n`;
    })
    .join('');
}

export function parseBackends(text: string): Record<string, Backend[]> {
  const backends: Record<string, Backend[]> = {};
  for (const line of text.split('\n').filter(Boolean)) {
    const [app = '', peers = ''] = line.split(' ');
    backends[app] = peers.split(',').map((peer) => {
      const [host = '', p = ''] = peer.split(':');
      return { host, port: Number(p) };
    });
  }
  return backends;
}
