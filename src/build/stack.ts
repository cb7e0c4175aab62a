import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { runProgram } from '../core/process.js';
import type { DockerEngine } from '../runtime/docker.js';

/** What every app image starts from: a minimal Debian with the runtimes our builds use. */
const STACK_PACKAGES = ['ca-certificates', 'nodejs', 'python3'];
const SUITE = 'bookworm';

/**
 * Builds the stack image locally, since no container registry can be reached:
 * debootstrap a minimal Debian root, then import it into Docker as an image.
 */
export async function buildStack(options: {
  docker: DockerEngine;
  image: string;
  mirror: string;
  workDir: string;
  onLine: (line: string) => void;
}): Promise<void> {
  const [repo, tag = 'latest'] = splitImageRef(options.image);
  fs.mkdirSync(options.workDir, { recursive: true });
  const rootfs = fs.mkdtempSync(path.join(options.workDir, 'stack-'));
  try {
    options.onLine(`Bootstrapping Debian ${SUITE} (${STACK_PACKAGES.join(', ')}) from ${options.mirror}`);
    const args = ['--variant=minbase', `--include=${STACK_PACKAGES.join(',')}`, SUITE, rootfs, options.mirror];
    const bootstrap = await runProgram('debootstrap', args, { onLine: options.onLine });
    if (bootstrap.code !== 0) throw new UserError(`debootstrap failed (exit ${bootstrap.code})`);
    options.onLine(`Importing the root filesystem as ${options.image}`);
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? 1)));
    await options.docker.importImage(tar.stdout, repo, tag, ['ENV LANG=C.UTF-8', 'CMD ["/bin/bash"]']);
    if ((await exited) !== 0) throw new UserError('Packing the root filesystem failed');
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
}

function splitImageRef(ref: string): [string, string | undefined] {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, undefined];
}
