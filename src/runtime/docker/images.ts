import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { engineReason, ignoreMissing, succeedsUnlessMissing, unlessMissing, orEmpty, type DockerApi } from './api.js';
import { withTimeout } from '../../core/process.js';
import { BuildFailedError, followJsonStream, RegistryError } from './streams.js';

/** The parts of an image's config that an image made from it by hand carries over. */
export interface ImageConfig {
  architecture: string;
  os: string;
  config: { Cmd?: string[] | null; Labels?: Record<string, string> | null } & Record<string, unknown>;
  diffIds: string[];
}

/** Images: build, import, tag, inspect, remove. */
export class DockerImages {
  constructor(private readonly api: DockerApi) {}

  exists(ref: string): Promise<boolean> {
    return succeedsUnlessMissing(this.api.getImage(ref).inspect());
  }

  /**
   * Builds from a tar context; streams each output line; throws BuildFailedError on a failed
   * step, or when it runs past `timeoutMs` (the engine cancels a build whose client leaves).
   * `dockerfile` is its path in the context when not `Dockerfile`.
   */
  async build(
    context: Readable,
    tag: string,
    onLine: (line: string) => void,
    options: { dockerfile?: string; timeoutMs?: number } = {},
  ): Promise<void> {
    const stream = (await this.api.buildImage(context, {
      t: tag,
      rm: true,
      forcerm: true,
      ...(options.dockerfile && { dockerfile: options.dockerfile }),
    })) as NodeJS.ReadableStream & {
      destroy(): void;
    };
    await withTimeout(followJsonStream(stream, onLine), options.timeoutMs, () => {
      stream.destroy();
      return new BuildFailedError(`The build did not finish within ${options.timeoutMs! / 1000} s`);
    });
  }

  /** `docker import`: a root filesystem tar becomes an image. */
  async importRootfs(rootfs: Readable, repo: string, tag: string, changes: string[]): Promise<void> {
    const stream = await this.api.importImage(rootfs, { repo, tag, changes } as object);
    await followJsonStream(stream, () => {});
  }

  /** `docker load`: an image archive (`docker save` output) becomes images; says what it loaded. */
  async load(archive: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
    const stream = await this.api.loadImage(archive, { quiet: false });
    await followJsonStream(stream, onLine);
  }

  /** What an image is made of: its config, its layers' diff IDs, its platform (for images made by hand). */
  async configOf(ref: string): Promise<ImageConfig> {
    const image = await this.api.getImage(ref).inspect();
    return {
      architecture: image.Architecture,
      os: image.Os,
      config: image.Config as unknown as ImageConfig['config'],
      diffIds: image.RootFS.Layers ?? [],
    };
  }

  /** The TCP ports an image EXPOSEs, in order; none when it exposes none. */
  async exposedPorts(ref: string): Promise<number[]> {
    const exposed = orEmpty((await this.api.getImage(ref).inspect()).Config.ExposedPorts, {});
    return Object.keys(exposed)
      .filter((key) => key.endsWith('/tcp'))
      .map((key) => Number(key.slice(0, -'/tcp'.length)))
      .sort((a, b) => a - b);
  }

  /** One label of an image, or undefined when the image or the label is missing. */
  async label(ref: string, label: string): Promise<string | undefined> {
    const image = await unlessMissing(this.api.getImage(ref).inspect());
    return image && orEmpty(image.Config.Labels, {})[label];
  }

  /** The image's ID (its content digest), or undefined when it is missing. */
  async id(ref: string): Promise<string | undefined> {
    return (await unlessMissing(this.api.getImage(ref).inspect()))?.Id;
  }

  /** The registry digests the image was pulled or pushed under (`repo@sha256:…`); undefined when it is not here. */
  async repoDigests(ref: string): Promise<string[] | undefined> {
    const image = await unlessMissing(this.api.getImage(ref).inspect());
    return image && orEmpty(image.RepoDigests, []);
  }

  /** Whether the image says what to run (a CMD or an ENTRYPOINT). */
  async hasCommand(ref: string): Promise<boolean> {
    const { Config } = await this.api.getImage(ref).inspect();
    return Boolean(orEmpty(Config.Cmd, []).length || orEmpty<string | string[]>(Config.Entrypoint, []).length);
  }

  async tag(source: string, repo: string, tag: string): Promise<void> {
    await this.api.getImage(source).tag({ repo, tag });
  }

  /**
   * Pushes `repo:tag` to the registry its name points at (`auth`: what the Engine API takes as
   * X-Registry-Auth); the digest reference the registry keeps it under, `repo@sha256:…`.
   * A registry that refuses or cannot be reached fails the push with its own message.
   */
  async push(repo: string, tag: string, auth: object, onLine: (line: string) => void = () => {}): Promise<string> {
    const stream = await this.api.getImage(`${repo}:${tag}`).push({ tag, authconfig: auth } as Docker.ImagePushOptions);
    await followJsonStream(stream, onLine);
    const digests = orEmpty((await this.api.getImage(`${repo}:${tag}`).inspect()).RepoDigests, []);
    const pushed = digests.find((d) => d.startsWith(`${repo}@`));
    if (!pushed) throw new Error(`The registry did not report a digest for ${repo}:${tag}`);
    return pushed;
  }

  /**
   * Pulls `name` (`registry/path`) at `version`, a tag or a digest, from its registry, with
   * `auth` (what the Engine API takes as X-Registry-Auth) when given; the ID of the image
   * the registry sent, whatever the tag points at by then. Passes on the pull's overall
   * status lines, not each layer's. A registry that refuses or cannot be reached throws
   * RegistryError with its reason.
   */
  async pull(
    name: string,
    version: string,
    options: { auth?: object; platform?: string; onLine?: (line: string) => void } = {},
  ): Promise<string> {
    const pinned = version.includes(':') ? `${name}@${version}` : `${name}:${version}`;
    let digest: string | undefined;
    try {
      const request = {
        fromImage: name,
        tag: version,
        ...(options.platform && { platform: options.platform }),
        ...(options.auth && { authconfig: options.auth }),
      };
      const stream = await this.api.createImage(request);
      await followJsonStream(
        stream,
        () => {},
        (status, layer) => {
          digest ??= /^Digest: (sha256:[a-f0-9]{64})$/.exec(status)?.[1];
          if (layer === undefined || layer === version) options.onLine?.(status);
        },
      );
    } catch (error) {
      throw new RegistryError(engineReason(error));
    }
    const id = await this.id(digest ? `${name}@${digest}` : pinned);
    if (!id) throw new RegistryError(`the engine has no ${pinned} after pulling it`);
    return id;
  }

  /** Has the engine check credentials with their registry (it keeps nothing); throws RegistryError with the registry's reason. */
  async checkLogin(auth: { username: string; password: string; serveraddress: string }): Promise<void> {
    try {
      await this.api.checkAuth(auth);
    } catch (error) {
      throw new RegistryError(engineReason(error));
    }
  }

  /** Untags `ref`, deleting the image when no other tag is left. */
  async remove(ref: string): Promise<void> {
    await ignoreMissing(this.api.getImage(ref).remove());
  }

  /** Images of one repository, by its name (`slipway/app-myapp`). */
  async list(repository: string): Promise<{ id: string; tags: string[] }[]> {
    const images = await this.api.listImages({ filters: { reference: [repository] } });
    return images.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [] }));
  }
}
