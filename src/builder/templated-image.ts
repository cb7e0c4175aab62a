import { createHash } from 'node:crypto';
import type { DockerEngine } from '../runtime/docker/index.js';
import { tarOf, type TarFile } from './tar.js';

const TEMPLATE_LABEL = 'slipway.template';

/**
 * Builds an image from a Dockerfile and files Slipway ships, labelled with a hash of them,
 * and rebuilds it whenever they change: an upgrade of Slipway must never leave a host on a
 * stale stack or service image; nor on an image made from an older parent (`parentId`).
 * Returns whether it built.
 */
export async function ensureTemplatedImage(
  docker: DockerEngine,
  image: string,
  files: TarFile[],
  options: {
    rebuild: boolean;
    onLine: (line: string) => void;
    /** The id of the image the Dockerfile builds FROM, when that one can be made again under the same name. */
    parentId?: string;
  },
): Promise<boolean> {
  const hash = createHash('sha256');
  if (options.parentId !== undefined) hash.update(options.parentId).update('\0');
  for (const file of files) hash.update(file.name).update('\0').update(file.content).update('\0');
  const digest = hash.digest('hex').slice(0, 16);
  if (!options.rebuild && (await docker.images.label(image, TEMPLATE_LABEL)) === digest) return false;
  const [dockerfile, ...rest] = files;
  const labelled = {
    ...dockerfile!,
    content: `${dockerfile!.content.toString()}\nLABEL ${TEMPLATE_LABEL}=${digest}\n`,
  };
  options.onLine(`Building ${image}`);
  await docker.images.build(tarOf([labelled, ...rest]), image, options.onLine);
  return true;
}
