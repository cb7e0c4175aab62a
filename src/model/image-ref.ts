/**
 * Image references as the engine reads them (`node:20`, `127.0.0.1:5000/base:1`,
 * `docker.io/library/node@sha256:…`): which registry an image comes from, its path there,
 * its tag or digest. Compared in their full form, so `node`, `library/node` and
 * `docker.io/library/node` are one repository.
 */
export interface ImageRef {
  /** `host[:port]`; `docker.io` when the name has none. */
  registry: string;
  /** The repository's path in its registry: `library/node`, `base`. */
  path: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
/** Docker Hub answers under several names; images and logins name it by one. */
const DOCKER_HUB_NAMES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io']);

/** A registry server as images and logins name it: Docker Hub's names as `docker.io`. */
export const canonicalRegistry = (server: string) => (DOCKER_HUB_NAMES.has(server.toLowerCase()) ? DOCKER_HUB : server);
/** The longest reference read: Docker's names are at most 255 characters, tags 128. */
const MAX_LENGTH = 512;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{64}$/;

/** An image by its ID (`sha256:…`, or the 64 hex digits alone): an image of this host, whatever its name. */
export const isImageId = (text: string) => IMAGE_ID.test(text);

/** A registry server as `registry:login` and an image name take it: `host[:port]`, a name or an IPv4 address. */
export function isRegistryServer(text: string): boolean {
  if (text.length > 255) return false;
  const [host = '', port, extra] = text.split(':');
  if (extra !== undefined || (port !== undefined && !/^\d{1,5}$/.test(port))) return false;
  return host.split('.').every((label) => HOST_LABEL.test(label));
}

/** The reference's parts, or undefined when it is not one the engine would accept. */
export function parseImageRef(text: string): ImageRef | undefined {
  if (text.length > MAX_LENGTH || isImageId(text)) return undefined;
  const [name = '', digest] = splitAt(text, text.indexOf('@'));
  if (digest !== undefined && !DIGEST.test(digest)) return undefined;
  const [repository, tag] = splitAt(name, tagSeparator(name));
  if (tag !== undefined && !TAG.test(tag)) return undefined;
  const slash = repository.indexOf('/');
  const first = repository.slice(0, slash);
  // As the engine splits names: a first component with a dot or port (or localhost, or
  // upper case) is a registry; anything else is a path on Docker Hub.
  const hasRegistry = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  const registry = canonicalRegistry(hasRegistry ? first : DOCKER_HUB);
  let path = hasRegistry ? repository.slice(slash + 1) : repository;
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  if (!isRegistryServer(registry) || !path.split('/').every((part) => PATH_COMPONENT.test(part))) return undefined;
  return { registry, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** Where the tag starts: the last `:` after the last `/` (a registry's port comes before it). */
function tagSeparator(name: string): number {
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? colon : -1;
}

const splitAt = (text: string, at: number): [string, string | undefined] =>
  at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];

/** The repository in full, as the engine pulls it: `docker.io/library/node`, `127.0.0.1:5000/base`. */
export const repositoryName = (ref: ImageRef) => `${ref.registry}/${ref.path}`;

/** What to pull: its digest when it names one, else its tag (`latest` when it names neither). */
export const versionOf = (ref: ImageRef) => ref.digest ?? ref.tag ?? 'latest';

/** The reference in full: `docker.io/library/node:20`, `127.0.0.1:5000/base@sha256:…`. */
export const fullName = (ref: ImageRef) =>
  `${repositoryName(ref)}${ref.digest ? `@${ref.digest}` : `:${versionOf(ref)}`}`;

/** Whether two references name one repository. */
export const sameRepository = (a: ImageRef, b: ImageRef) => a.registry === b.registry && a.path === b.path;

/**
 * Whether `ref` is one an allow-list entry admits: the entry's repository with any tag when
 * the entry names none, else exactly its tag or digest.
 */
export function admits(entry: ImageRef, ref: ImageRef): boolean {
  if (!sameRepository(entry, ref)) return false;
  if (entry.digest) return entry.digest === ref.digest;
  if (entry.tag) return !ref.digest && versionOf(ref) === entry.tag;
  return true;
}
