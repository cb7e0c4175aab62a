import { defineConfig } from 'vitest/config';
import E2eSequencer from './test/support/sequencer.js';

/**
 * Two tiers. `unit`: pure logic and our own seams with fakes (no Docker, Redis, nginx or
 * network), files in parallel: what a contributor runs after every change (`npm test`).
 * `e2e`: the real things, after the unit tier; its global setup compiles Slipway (the daemon
 * under test runs from dist/), starts a throwaway Redis and checks the engine and stack image.
 * Each e2e file has its own daemon (instance name, ports, data dir, nginx), so files run side
 * by side; what disturbs the one Docker engine every file uses (restarting it) is in the
 * `e2e-alone` project, which runs after them, by itself. `scripts/test` runs all three.
 */
const E2E_ALONE = ['test/e2e/dockerd-restart.test.ts'];
const e2e = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 180_000,
  hookTimeout: 180_000,
  teardownTimeout: 60_000,
};

export default defineConfig({
  test: {
    reporters: ['default', './test/support/counts-reporter.ts'],
    sequence: { sequencer: E2eSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          fileParallelism: true,
          // Each worker runs its files one after another in one module graph, rather than a fresh
          // process per file: starting a process and loading the same modules (fastify, bullmq,
          // ssh2, zod...) again for each of ~70 files took a quarter of the tier's CPU time (119
          // CPU-s against 87). Unit tests keep no state between files: their state is their own
          // (a temporary directory, a fake), and a file that fakes timers or sets TZ restores it.
          isolate: false,
          // Vitest's default is one worker less than the cores: one on a 2-core machine, which
          // left a core idle while files waited on timers and child processes (99 s against 56 s).
          maxWorkers: Number(process.env.SLIPWAY_UNIT_WORKERS ?? 3),
          testTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          ...e2e,
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: E2E_ALONE,
          // Builds take both cores; a third file mostly waits (on deploys, drains, watches).
          // SLIPWAY_E2E_WORKERS sets another number (to compare, or on a bigger machine).
          fileParallelism: true,
          maxWorkers: Number(process.env.SLIPWAY_E2E_WORKERS ?? 3),
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          ...e2e,
          name: 'e2e-alone',
          include: E2E_ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
