import type { Readable } from 'node:stream';
import { lineWriter } from '../../core/lines.js';
import { withTimeout } from '../../core/process.js';
import type { Terminal } from '../../model/terminal.js';
import type { DockerApi } from './api.js';
import { oneOffRequest, type OneOffIo, type OneOffSpec } from './requests.js';
import { wireTerminal } from './terminal.js';

/** A one-off that ran past its time; it was removed. */
export class OneOffTimeoutError extends Error {}

/** Lets the last output of an exited container arrive before its stream is closed. */
const OUTPUT_GRACE_MS = 50;

/** Containers that run once: builds, release tasks, `run`, attached or detached. */
export class DockerOneOffs {
  constructor(private readonly api: DockerApi) {}

  /**
   * Runs a one-off to completion: files are put in before it starts, its output streams line
   * by line, and `collect` may copy a directory out before it is removed. Its exit code.
   */
  async runToCompletion(
    spec: OneOffSpec & {
      inputs: { path: string; tar: Readable }[];
      onLine: (line: string) => void;
      collect?: { path: string; use: (tar: NodeJS.ReadableStream) => Promise<void> };
      /** Past this, the container is removed and a OneOffTimeoutError thrown. */
      timeoutMs?: number;
      /** Return without waiting for the engine to remove the container (about 0.2 s). */
      removeInBackground?: boolean;
    },
  ): Promise<number> {
    const container = await this.create(spec, 'output');
    try {
      for (const input of spec.inputs) await container.putArchive(input.tar, { path: input.path });
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const lines = lineWriter(spec.onLine);
      this.api.modem.demuxStream(stream, lines, lines);
      await container.start();
      const waited = container.wait() as Promise<{ StatusCode: number }>;
      const { StatusCode } = await withTimeout(waited, spec.timeoutMs, () => new OneOffTimeoutError(`It did not finish within ${spec.timeoutMs! / 1000} s`));
      await new Promise((resolve) => setTimeout(resolve, OUTPUT_GRACE_MS));
      lines.end();
      if (StatusCode === 0 && spec.collect) await spec.collect.use(await container.getArchive({ path: spec.collect.path }));
      return StatusCode;
    } finally {
      const removed = container.remove({ force: true }).catch(() => {});
      if (!spec.removeInBackground) await removed;
    }
  }

  /**
   * Runs a one-off on the caller's terminal (`ssh -t … run app bash`): its input is the
   * client's, its output goes back raw, and it is killed if the client goes away.
   */
  async runOnTerminal(spec: OneOffSpec & { terminal: Terminal; stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }): Promise<number> {
    const container = await this.create(spec, 'terminal', spec.terminal.term);
    try {
      const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      await container.start();
      const release = wireTerminal(stream, { stdin: spec.stdin, stdout: spec.stdout, tty: spec.terminal }, {
        resize: (size) => container.resize(size),
        hangUp: () => void container.kill().catch(() => {}),
      });
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
    return this.api.createContainer({ _query: request.name ? { name: request.name } : {}, _body: request.body } as never);
  }
}
