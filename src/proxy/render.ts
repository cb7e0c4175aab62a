import fs from 'node:fs';
import Handlebars from 'handlebars';
import { z } from 'zod';
import { isValidAppName, isValidDomain } from '../core/names.js';

const templatesDir = new URL('../../templates/nginx/', import.meta.url);

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

const appRouteSchema = z.object({
  app: z.string().refine(isValidAppName, 'invalid app name'),
  httpPort: port,
  domains: z.array(z.string().refine(isValidDomain, 'invalid domain')).min(1),
  backends: z
    .array(z.object({ host: z.ipv4(), port }))
    .min(1),
});

export type AppRoute = z.infer<typeof appRouteSchema>;

export function renderMain(input: { dir: string; httpPort: number }): string {
  return templates.main({ dir: absolutePath.parse(input.dir), httpPort: port.parse(input.httpPort) });
}

export function renderStatus(input: { dir: string; generation: string }): string {
  const generation = z.string().regex(/^[a-z0-9]+$/).parse(input.generation);
  return templates.status({ dir: absolutePath.parse(input.dir), generation });
}

export function renderApp(route: AppRoute): string {
  const valid = appRouteSchema.parse(route);
  return templates.app({ ...valid, upstream: `slipway-${valid.app.replace(/\./g, '_')}-web` });
}
