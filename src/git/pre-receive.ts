/**
 * The pre-receive hook program, run by git-receive-pack for every push. It must stay small
 * and dependency-free: it starts on every push. It archives the pushed commit while git's
 * quarantine environment still makes it visible, hands it to the daemon, prints the deploy
 * log as it arrives (git shows it as `remote:` lines) and exits with the deploy's outcome,
 * so a failed deploy rejects the push and leaves the branch where it was.
 */
import net from 'node:net';
import { archiveCommit } from './archive.js';
import { HOOK_ENV, type PushReply, type PushRequest } from './hook-env.js';

const ZERO = /^0{40}$/;

function env(name: string): string {
  const value = process.env[name];
  if (!value) fail(`Slipway hook is missing ${name}; push through Slipway's SSH server`);
  return value;
}

function fail(message: string): never {
  process.stderr.write(` !     ${message}\n`);
  process.exit(1);
}

async function readUpdates(): Promise<{ old: string; rev: string; ref: string }[]> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  return input
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [old = '', rev = '', ref = ''] = line.split(' ');
      return { old, rev, ref };
    });
}

function deploy(request: PushRequest): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(env(HOOK_ENV.socket));
    let buffer = '';
    let exitCode: number | undefined;
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const reply = JSON.parse(line) as PushReply;
        if ('line' in reply) process.stdout.write(reply.line + '\n');
        else exitCode = reply.exit;
      }
    });
    socket.on('error', (error) => {
      process.stderr.write(` !     Cannot reach the Slipway daemon: ${error.message}\n`);
      resolve(1);
    });
    socket.on('close', () => {
      if (exitCode === undefined) process.stderr.write(' !     Lost the connection to the Slipway daemon\n');
      resolve(exitCode ?? 1);
    });
  });
}

async function main(): Promise<void> {
  const hookStartedAt = Date.now();
  const app = env(HOOK_ENV.app);
  const branch = env(HOOK_ENV.branch);
  const deployRef = `refs/heads/${branch}`;
  const updates = await readUpdates();
  const update = updates.find((u) => u.ref === deployRef);
  if (!update) {
    process.stdout.write(`-----> WARNING: deploy did not complete, you must push to ${branch}.\n`);
    return;
  }
  if (ZERO.test(update.rev)) fail(`Deleting the deploy branch ${branch} is not allowed`);
  let tarPath: string;
  try {
    const keepGitDir = process.env[HOOK_ENV.keepGitDir] === 'true' ? { branch } : undefined;
    tarPath = archiveCommit({ rev: update.rev, buildsDir: env(HOOK_ENV.buildsDir), app, keepGitDir });
  } catch (error) {
    fail((error as Error).message);
  }
  const code = await deploy({
    token: env(HOOK_ENV.token),
    app,
    rev: update.rev,
    user: env(HOOK_ENV.user),
    tarPath,
    hookStartedAt,
  });
  process.exit(code);
}

void main();
