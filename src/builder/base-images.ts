import { UserError } from '../core/errors.js';
import {
  admits,
  fullName,
  isImageId,
  parseImageRef,
  repositoryName,
  sameRepository,
  versionOf,
  type ImageRef,
} from '../model/image-ref.js';
import type { ProgressLog } from '../model/progress.js';
import type { Platform } from '../platform.js';
import { REGISTRY_PROPERTY } from '../registry/index.js';
import { RegistryError } from '../runtime/docker/index.js';
import { GLOBAL_SCOPE } from '../state/index.js';
import { imageUses, onbuildLines, pinImages } from './dockerfile-images.js';
import { imageRepository } from './images.js';
import { adminApprovedRegistry, engineAuth, registryAddressRefusal, registryLoginFor } from './registry-logins.js';

/**
 * What a Dockerfile may build from. A build reads every image it names, so one that named
 * an image of this host (another app's release, Slipway's own) would copy what is in it
 * into the tenant's build. Allowed as they are here: `scratch`, the stack images (and the
 * service images built beside them from Slipway's own templates: no app's code or secret
 * is in them) and the app's own images. Anything else must come from a registry: it is
 * pulled before the build (with the app's registry:login credentials for that registry)
 * and the build uses the image pulled, by its ID, never a local tag of that name.
 */
export type BaseImage = { kind: 'local' } | { kind: 'registry'; ref: ImageRef };

/** Which kind of image `text` is for a build of `app`; throws the reason a build may not use it. */
export function classifyBaseImage(platform: Platform, app: string, text: string): BaseImage {
  const refuse = (why: string) =>
    new UserError(`The Dockerfile builds from ${text}, which this app may not use: ${why}`);
  if (text.includes('$'))
    throw new UserError(
      `The Dockerfile names an image through a variable with no default (${text}): name the image itself`,
    );
  if (text === 'scratch') return { kind: 'local' };
  if (isImageId(text)) throw refuse('an image ID names an image of this host; name an image in a registry');
  const ref = parseImageRef(text);
  if (!ref) throw new UserError(`The Dockerfile builds from ${text}, which is not a valid image reference`);
  const { settings, state } = platform;
  const stack = parseImageRef(settings.stackImage);
  const own = parseImageRef(imageRepository(settings.instance, app));
  if ((stack && sameRepository(ref, stack)) || (own && sameRepository(ref, own))) return { kind: 'local' };
  // Names this host gives its own images (`<instance>/app-<app>`, the cluster registry's) are
  // never pulled: a pull would put a registry's image under another app's release tag.
  const ownNamespace = ref.registry === own?.registry && ref.path.startsWith(`${settings.instance}/`);
  if (ownNamespace || ref.registry === state.properties.get(GLOBAL_SCOPE, REGISTRY_PROPERTY)) {
    throw refuse("it is an image of this host (another app's or Slipway's)");
  }
  const allowList = settings.buildImages.map((entry) => parseImageRef(entry)!);
  if (allowList.length > 0 && !allowList.some((entry) => admits(entry, ref)))
    throw refuse('SLIPWAY_BUILD_IMAGES does not list it');
  return { kind: 'registry', ref };
}

/**
 * The Dockerfile to build: each registry image it names pulled and pinned by its ID, after
 * every image it names was checked (so nothing is pulled for a Dockerfile that is refused).
 */
export async function resolveBaseImages(
  platform: Platform,
  app: string,
  dockerfile: string,
  log: ProgressLog,
): Promise<string> {
  const onbuild = onbuildLines(dockerfile);
  if (onbuild.length > 0)
    throw new UserError(
      `The Dockerfile has ONBUILD on line ${onbuild.join(', ')}: Slipway builds no image with build triggers (they would run unchecked in the builds of other images)`,
    );
  const pulls = new Map<string, { ref: ImageRef; platform?: string }>();
  for (const use of imageUses(dockerfile)) {
    const image = classifyBaseImage(platform, app, use.ref);
    // `FROM --platform=linux/arm64 …` pulls that platform's image (a variable in it: the engine's default).
    const named = use.words.find((w) => w.toLowerCase().startsWith('--platform='))?.slice('--platform='.length);
    if (image.kind === 'registry' && !pulls.has(use.ref))
      pulls.set(use.ref, { ref: image.ref, platform: named?.includes('$') ? undefined : named });
  }
  const pins = new Map<string, string>();
  for (const [text, { ref, platform: imagePlatform }] of pulls) {
    await refuseInternalRegistry(platform, text, ref);
    await refuseLocalOnly(platform, text, ref);
    const id = await pull(platform, app, { text, ref, platform: imagePlatform }, log);
    await refuseBuildTriggers(platform, text, id);
    pins.set(text, id);
  }
  return pinImages(dockerfile, pins);
}

/**
 * A registry on this host or a private network is one only an admin may point builds at
 * (a global registry:login for it, or the image named in SLIPWAY_BUILD_IMAGES): the engine
 * would send anyone's requests to the services there, and their answers come back in the
 * error. Checked on the addresses the name resolves to now; the engine resolves it again.
 */
async function refuseInternalRegistry(platform: Platform, text: string, ref: ImageRef): Promise<void> {
  // With an allow-list, the image is on it already (classifyBaseImage): naming its registry there is the admin's word.
  if (adminApprovedRegistry(platform, ref.registry)) return;
  const refusal = await registryAddressRefusal(ref.registry);
  if (refusal === undefined) return;
  throw new UserError(
    `The Dockerfile builds from ${text}, which this app may not use: its registry is on this host or a private network (${refusal}); an admin may allow it with registry:login --global or SLIPWAY_BUILD_IMAGES`,
  );
}

/** An image with ONBUILD triggers would run them in this build, past every check of what a build may read. */
async function refuseBuildTriggers(platform: Platform, text: string, id: string): Promise<void> {
  const triggers = (await platform.engine.images.configOf(id)).config.OnBuild;
  if (Array.isArray(triggers) && triggers.length > 0) {
    throw new UserError(
      `The Dockerfile builds from ${text}, which this app may not use: it has ONBUILD triggers (${triggers.length}), which would run in this build unchecked`,
    );
  }
}

/**
 * An image of that name that is here but did not come from its registry (a tag made on this
 * host) is refused: the pull would replace whatever uses it with the registry's image.
 */
async function refuseLocalOnly(platform: Platform, text: string, ref: ImageRef): Promise<void> {
  const digests = await platform.engine.images.repoDigests(fullName(ref));
  if (digests === undefined) return;
  const pulled = digests.some((digest) => {
    const from = parseImageRef(digest);
    return from !== undefined && sameRepository(from, ref);
  });
  if (!pulled)
    throw new UserError(
      `The Dockerfile builds from ${text}, which this app may not use: it is an image made on this host, not one from a registry`,
    );
}

/** Pulls the image with the app's credentials for its registry; the ID of the image pulled. */
async function pull(
  platform: Platform,
  app: string,
  image: { text: string; ref: ImageRef; platform?: string },
  log: ProgressLog,
): Promise<string> {
  const { text, ref } = image;
  const login = registryLoginFor(platform, app, ref.registry);
  log.step(`Pulling ${text} from ${ref.registry}${login ? ` as ${login.username}` : ''}`);
  try {
    return await platform.engine.images.pull(repositoryName(ref), versionOf(ref), {
      auth: login && engineAuth(ref.registry, login),
      platform: image.platform,
      onLine: (line) => log.detail(line),
    });
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    const hint = login ? '' : ` (no registry:login for ${ref.registry})`;
    throw new UserError(`Pulling ${text} from ${ref.registry} failed${hint}: ${error.message}`);
  }
}
