import type Docker from 'dockerode';
import type { ProcessIo } from '../../model/terminal.js';
import { ended, type DockerApi } from './api.js';
import { execRequest } from './requests.js';
import { wireTerminal } from './terminal.js';

/**
 * Runs a command in a running container (no shell) with the caller's streams, feeding it
 * `stdin` when given; returns its exit code. With a tty the process gets a terminal of that
 * size (following resizes) and its output comes raw, not demuxed.
 */
export async function execInContainer(
  api: DockerApi,
  id: string,
  cmd: string[],
  io: ProcessIo & { user?: string; env?: Record<string, string> },
): Promise<number> {
  const exec = await api
    .getContainer(id)
    .exec(execRequest(cmd, { user: io.user, env: io.env, stdin: Boolean(io.stdin), term: io.tty?.term }));
  const stream = await exec.start({ hijack: true, stdin: Boolean(io.stdin), Tty: Boolean(io.tty) });
  const done = ended(stream);
  let release = () => {};
  if (io.tty) {
    release = wireTerminal(
      stream,
      { ...io, tty: io.tty },
      {
        resize: (size) => exec.resize(size),
        hangUp: () => void hangUp(exec).finally(() => stream.destroy()),
      },
    );
  } else {
    api.modem.demuxStream(stream, io.stdout, io.stderr);
    io.stdin?.pipe(stream); // its end half-closes the connection; the output keeps coming
  }
  await done;
  release();
  return (await exec.inspect()).ExitCode ?? 1;
}

/**
 * Docker leaves an exec'd process running when its client goes away: a shell left behind
 * would wait on its terminal for ever. It gets SIGHUP, as a shell whose terminal closed does.
 */
async function hangUp(exec: Docker.Exec): Promise<void> {
  const { Pid, Running } = await exec.inspect().catch(() => ({ Pid: 0, Running: false }));
  if (Running && Pid > 0) {
    try {
      process.kill(Pid, 'SIGHUP');
    } catch {
      // already gone
    }
  }
}
