/** The domains an app answers on: for now its default vhost under the instance domain. */
export function appDomains(settings: { domain: string }, app: string): string[] {
  return [`${app}.${settings.domain}`];
}

export function appUrls(settings: { domain: string; httpPort: number }, app: string): string[] {
  const port = settings.httpPort === 80 ? '' : `:${settings.httpPort}`;
  return appDomains(settings, app).map((domain) => `http://${domain}${port}`);
}
