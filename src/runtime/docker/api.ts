import type Docker from 'dockerode';
import { lazyPackage } from '../../core/lazy.js';

/** The Engine API client; the version is pinned to what Debian's docker.io speaks. */
export type DockerApi = Docker;

/**
 * A list or map of an engine answer, `empty` when the engine sent null or left it out (Go's nil):
 * dockerode's types do not say it can (a port that is not published is `"80/tcp": null`, an
 * image without labels has `"Labels": null`).
 */
export const orEmpty = <T>(value: T | null | undefined, empty: T): T => value ?? empty;

const dockerode = lazyPackage<typeof Docker>('dockerode');

/** The client, made on first use: a command that never reaches Docker does not load it. */
export function connectDocker(socketPath: string): DockerApi {
  let client: Docker | undefined;
  const connected = () => {
    const Client = dockerode();
    return (client ??= new Client({ socketPath, version: 'v1.41' }));
  };
  return new Proxy({} as Docker, {
    get(_target, key) {
      const value: unknown = Reflect.get(connected(), key);
      return typeof value === 'function' ? (value.bind(connected()) as unknown) : value;
    },
  });
}

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/** The operation's result, or undefined when its object does not exist (404). */
export async function unlessMissing<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** True when the operation succeeds, false when its object does not exist (404). */
export async function succeedsUnlessMissing(operation: Promise<unknown>): Promise<boolean> {
  return (await unlessMissing(operation.then(() => true))) ?? false;
}

/** Runs the operation; a missing object (404), or any of the statuses `alsoOk`, is fine. */
export async function ignoreMissing(operation: Promise<unknown>, ...alsoOk: number[]): Promise<void> {
  try {
    await operation;
  } catch (error) {
    const status = statusOf(error);
    if (status !== 404 && !alsoOk.includes(status ?? 0)) throw error;
  }
}

/** What the engine said went wrong: its own message, without the client's `(HTTP code …)` wrapping. */
export function engineReason(error: unknown): string {
  const message = (error as { json?: { message?: unknown } }).json?.message;
  if (typeof message === 'string') return message;
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}

/** A conflict: the object exists already, or another operation on it is under way. */
export const isConflict = (error: unknown) => statusOf(error) === 409;

/** The engine refused the request as it stands (a network's subnet overlapping another's). */
export const isRefused = (error: unknown) => statusOf(error) === 403;

/** Resolves when a stream is over, however it ends. */
export function ended(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', resolve);
  });
}
