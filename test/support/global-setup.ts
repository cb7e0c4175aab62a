import { execFileSync, spawn } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import Docker from 'dockerode';
import { freePort } from './ports.js';
import { TSC, tscArgs } from './typescript.js';

const STACK_IMAGE = 'slipway/stack:bookworm';

/**
 * Once per run: compile Slipway (the daemon under test runs from dist/, as in production),
 * start a throwaway Redis, and check the Docker engine and stack image are there. Both e2e
 * projects (vitest.config.ts) name this file, and vitest loads it once for each: what the
 * first started is kept on globalThis for the second, and the Redis stops with the last.
 */
interface Shared {
  started: Promise<{ redisUrl: string; stop: () => void }>;
  users: number;
}
const processWide = globalThis as { slipwayE2eSetup?: Shared };

export default async function setup(project: TestProject) {
  const shared = (processWide.slipwayE2eSetup ??= { started: start(), users: 0 });
  shared.users++;
  project.provide('redisUrl', (await shared.started).redisUrl);
  return async () => {
    if (--shared.users > 0) return;
    delete processWide.slipwayE2eSetup;
    (await shared.started).stop();
  };
}

async function start() {
  // tsc itself, not through npx (npm's own start costs about a second of CPU); incremental
  // (tsconfig.json), so it is quick when scripts/setup has just compiled the same tree.
  execFileSync(process.execPath, [TSC, ...tscArgs('tsconfig.json', 'dist/.tsbuildinfo')], { stdio: 'inherit' });

  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  await docker.ping().catch(() => {
    throw new Error('Docker is not running: start it with scripts/setup --no-serve (or the README test command)');
  });
  await docker
    .getImage(STACK_IMAGE)
    .inspect()
    .catch(() => {
      throw new Error(`${STACK_IMAGE} is missing: build it with bin/slipway stack:build`);
    });

  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100 && !redisAnswers(port); i++) await new Promise((r) => setTimeout(r, 100));
  return { redisUrl: `redis://127.0.0.1:${port}`, stop: () => redis.kill('SIGTERM') };
}

function redisAnswers(port: number): boolean {
  try {
    return (
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() === 'PONG'
    );
  } catch {
    return false;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
