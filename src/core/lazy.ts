import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A package loaded on first use rather than at start. The daemon uses them all at once; a
 * command run on the host (`slipway apps:list`) needs few, and loading the rest (the queue,
 * the Docker and ACME clients) would be most of its time.
 */
export function lazyPackage<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
