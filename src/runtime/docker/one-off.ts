import type { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { lineWriter } from '../../core/lines.js';
import { withTimeout } from '../../core/process.js';
import type { Terminal } from '../../model/terminal.js';
import { unlessMissing, type DockerApi } from './api.js';
import { execInContainer } from './exec.js';
import { oneOffRequest, type OneOffIo, type OneOffSpec } from './requests.js';
import { wireTerminal } from './terminal.js';

/** A one-off that ran past its time; it was removed. */
export class OneOffTimeoutError extends Error {}

/** The standby asked to run a one-off's work had ended (or was removed): run it anew. */
export class StandbyGoneError extends Error {}

/** How a one-off runs to completion, however its container was started. */
export interface CompletionSpec {
  /** Put in before it runs. */
  inputs: { path: string; tar: Readable }[];
  onLine: (line: string) => void;
  /** A directory copied out once it exited 0, before it is removed. */
  collect?: { path: string; use: (tar: NodeJS.ReadableStream) => Promise<void> };
  /** Past this, the container is removed and a OneOffTimeoutError thrown. */
  timeoutMs?: number;
  /** Called once the container runs. */
  started?: () => void;
  /**
   * Return at once and remove the container a little later: a removal is about 0.2 s of the
   * engine's work, which would slow the containers the caller starts next.
   */
  removeInBackground?: boolean;
}

const REMOVE_LATER_MS = 3_000;

/** Lets the last output of an exited container arrive before its stream is closed. */
const OUTPUT_GRACE_MS = 50;

/** Containers that run once: builds, release tasks, `run`, attached or detached. */
export class DockerOneOffs {
  constructor(private readonly api: DockerApi) {}

  /**
   * Runs a one-off to completion: files are put in before it starts, its output streams line
   * by line, and `collect` may copy a directory out before it is removed. Its exit code.
   */
  async runToCompletion(spec: OneOffSpec & CompletionSpec): Promise<number> {
    const container = await this.create(spec, 'output');
    return this.complete(container, spec, async (lines) => {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      this.api.modem.demuxStream(stream, lines, lines);
      await container.start();
      spec.started?.();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await new Promise((resolve) => setTimeout(resolve, OUTPUT_GRACE_MS));
      return StatusCode;
    });
  }

  /** Starts a standby one-off: its command waits for work that runInStandby brings. Its id. */
  async startStandby(spec: OneOffSpec): Promise<string> {
    const container = await this.create(spec, 'standby');
    await container.start();
    return container.id;
  }

  /**
   * Runs `cmd` in a standby started earlier, as runToCompletion runs a new one-off, and
   * removes the standby after: the container's create and start, most of a short one-off's
   * overhead, were paid before. StandbyGoneError, with nothing run, when it is not running.
   */
  async runInStandby(
    id: string,
    spec: { cmd: string[]; env: Record<string, string> } & CompletionSpec,
  ): Promise<number> {
    const container = this.api.getContainer(id);
    const info = await unlessMissing(container.inspect());
    if (!info?.State.Running) throw new StandbyGoneError();
    return this.complete(container, spec, (lines) =>
      execInContainer(this.api, id, spec.cmd, { stdout: lines, stderr: lines, env: spec.env }),
    );
  }

  /** Puts the inputs in, runs, collects and removes: the part of a one-off's run that does not depend on how it was started. */
  private async complete(
    container: Docker.Container,
    spec: CompletionSpec,
    run: (lines: Writable) => Promise<number>,
  ): Promise<number> {
    try {
      for (const input of spec.inputs) await container.putArchive(input.tar, { path: input.path });
      const lines = lineWriter(spec.onLine);
      const code = await withTimeout(
        run(lines),
        spec.timeoutMs,
        () => new OneOffTimeoutError(`It did not finish within ${spec.timeoutMs! / 1000} s`),
      );
      lines.end();
      if (code === 0 && spec.collect) await spec.collect.use(await container.getArchive({ path: spec.collect.path }));
      return code;
    } finally {
      const remove = () => container.remove({ force: true }).catch(() => {});
      if (spec.removeInBackground) setTimeout(() => void remove(), REMOVE_LATER_MS);
      else await remove();
    }
  }

  /**
   * Runs a one-off on the caller's terminal (`ssh -t … run app bash`): its input is the
   * client's, its output goes back raw, and it is killed if the client goes away.
   */
  async runOnTerminal(
    spec: OneOffSpec & {
      terminal: Terminal;
      stdin: NodeJS.ReadableStream;
      stdout: NodeJS.WritableStream;
      started?: () => void;
    },
  ): Promise<number> {
    const container = await this.create(spec, 'terminal', spec.terminal.term);
    try {
      const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      await container.start();
      spec.started?.();
      const release = wireTerminal(
        stream,
        { stdin: spec.stdin, stdout: spec.stdout, tty: spec.terminal },
        {
          resize: (size) => container.resize(size),
          hangUp: () => void container.kill().catch(() => {}),
        },
      );
      const { StatusCode } = (await container.wait().finally(release)) as { StatusCode: number };
      await new Promise((resolve) => setTimeout(resolve, OUTPUT_GRACE_MS));
      return StatusCode;
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  }

  /** Starts a one-off that nobody waits for (`run:detached`); it stays until removed. Its id. */
  async startDetached(spec: OneOffSpec): Promise<string> {
    const container = await this.create(spec, 'detached');
    await container.start();
    return container.id;
  }

  private create(spec: OneOffSpec, io: OneOffIo, term?: string) {
    const request = oneOffRequest(spec, io, term);
    return this.api.createContainer({
      _query: request.name ? { name: request.name } : {},
      _body: request.body,
    } as never);
  }
}
