import fs from 'node:fs';
import Handlebars from 'handlebars';
import type { Platform } from '../platform.js';
import { stackImages } from './stack.js';
import { ensureTemplatedImage } from './templated-image.js';

const templatesDir = new URL('../../templates/services/', import.meta.url);

/** A service kind's image: `<stack base>-<kind>`. */
export function serviceImageName(stackImage: string, kind: string): string {
  return `${stackImages(stackImage).base}-${kind}`;
}

/**
 * Builds a service kind's image on the stack base from templates/services (its Dockerfile,
 * start script and `extraFiles`), when it is missing or its templates changed, or always
 * when `rebuild`.
 */
export async function buildServiceImage(
  platform: Platform,
  service: { kind: string; extraFiles: string[] },
  onLine: (line: string) => void,
  rebuild = false,
): Promise<void> {
  const { base } = stackImages(platform.settings.stackImage);
  const template = (name: string) => fs.readFileSync(new URL(name, templatesDir), 'utf8');
  const dockerfile = Handlebars.compile(template(`${service.kind}.Dockerfile.hbs`), { strict: true });
  const files = [
    { name: 'Dockerfile', content: dockerfile({ baseImage: base }) },
    { name: 'slipway-service-start', content: template(`${service.kind}-start`), mode: 0o755 },
    ...service.extraFiles.map((name) => ({ name, content: template(name), mode: 0o755 })),
  ];
  await ensureTemplatedImage(platform.engine, serviceImageName(platform.settings.stackImage, service.kind), files, {
    rebuild,
    onLine,
  });
}
