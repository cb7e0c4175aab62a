import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit`: pure logic and our own seams with fakes (no Docker, Redis, nginx or
 * network), files in parallel: what a contributor runs after every change (`npm test`).
 * `e2e`: the real things, after the unit tier; its global setup compiles Slipway (the daemon
 * under test runs from dist/), starts a throwaway Redis and checks the engine and stack image.
 * `scripts/test` runs both.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/counts-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          fileParallelism: true,
          testTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // End-to-end files share one Docker engine and nginx binary: run files one at a time.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          teardownTimeout: 60_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
