import { NGINX_DEFAULTS, NGINX_PROPERTY_NAMES } from './nginx-properties.js';
import type { Listener } from './ports.js';
import type { AppRoute } from './router.js';

/**
 * Whether the shared map routes the app (templates/nginx/lua/backends.lua), rather than a
 * server block of its own: it answers on Slipway's HTTP port alone (and, with a certificate,
 * on its HTTPS port, HTTP redirecting there), to its web port, with every nginx:set property
 * at its default (the shared servers' settings, see main.conf.hbs). Such an app's domains,
 * certificate, deploys and state change the map, never the config, so they take no reload;
 * a port mapping or any property sends it back to a block of its own.
 */
export function routedByMap(
  route: Pick<AppRoute, 'listeners' | 'tls' | 'nginx'>,
  ports: { httpPort: number; httpsPort: number },
): boolean {
  const tls = route.tls !== undefined;
  const expected: Listener[] = [{ port: ports.httpPort, ssl: false, redirect: tls, container: null }];
  if (tls) expected.push({ port: ports.httpsPort, ssl: true, redirect: false, container: null });
  const sameListeners =
    route.listeners.length === expected.length &&
    route.listeners.every(
      (l, i) =>
        l.port === expected[i]!.port &&
        l.ssl === expected[i]!.ssl &&
        l.redirect === expected[i]!.redirect &&
        l.container === null,
    );
  return sameListeners && NGINX_PROPERTY_NAMES.every((p) => route.nginx[p] === NGINX_DEFAULTS[p]);
}

/**
 * Whether a line of the shared server's error log is about one of these domains: nginx ends
 * a request's error line with `, host: "<Host>"`. The shared server has one error log for
 * every app it routes (error_log takes no variable), which nginx:error-logs reads through this.
 */
export function aboutDomains(domains: string[]): (line: string) => boolean {
  const exact = new Set(domains.filter((d) => !d.startsWith('*.')));
  const wildcards = domains.filter((d) => d.startsWith('*.')).map((d) => d.slice(1));
  return (line) => {
    const host = /, host: "([^"]*)"/
      .exec(line)?.[1]
      ?.toLowerCase()
      .replace(/:[0-9]+$/, '');
    return host !== undefined && (exact.has(host) || wildcards.some((suffix) => host.endsWith(suffix)));
  };
}
