import { NGINX_DEFAULTS, NGINX_PROPERTY_NAMES } from './nginx-properties.js';
import type { AppRoute } from './router.js';

/**
 * Whether the shared map routes the app (templates/nginx/lua/backends.lua), rather than a
 * server block of its own: it answers plain HTTP on Slipway's HTTP port alone, to its web
 * port, with every nginx:set property at its default (the shared server's settings, see
 * main.conf.hbs). Such an app's domains, deploys and state change the map, never the config,
 * so they take no reload; a certificate, a port mapping or any property sends it back to a
 * block of its own.
 */
export function routedByMap(route: Pick<AppRoute, 'listeners' | 'tls' | 'nginx'>, httpPort: number): boolean {
  const [listener, ...others] = route.listeners;
  const plainHttp =
    others.length === 0 &&
    listener?.port === httpPort &&
    !listener.ssl &&
    !listener.redirect &&
    listener.container === null;
  return (
    plainHttp && route.tls === undefined && NGINX_PROPERTY_NAMES.every((p) => route.nginx[p] === NGINX_DEFAULTS[p])
  );
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
