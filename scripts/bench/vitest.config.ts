import { defineConfig } from 'vitest/config';

/** Benchmarks run on the test harness (a real daemon, real pushes) but only print figures. */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['scripts/bench/*.bench-run.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['dot'],
    disableConsoleIntercept: true,
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 180_000,
  },
});
