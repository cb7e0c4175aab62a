import { expect, test } from 'vitest';
import { usageFromStats } from '../../src/runtime/docker/usage.js';

/** docker stats's arithmetic on the Engine API's stats document, cgroup v2 and v1. */
test.each([
  [
    'cgroup v2: half a CPU of two, inactive_file left out',
    {
      cpu_stats: { cpu_usage: { total_usage: 2_000_000 }, system_cpu_usage: 20_000_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 16_000_000 },
      memory_stats: { usage: 50_000_000, limit: 1_000_000_000, stats: { inactive_file: 10_000_000 } },
    },
    { cpuPercent: 50, memoryBytes: 40_000_000, memoryLimitBytes: 1_000_000_000, cpuSecondsTotal: 0.002 },
  ],
  [
    'cgroup v1: total_inactive_file',
    {
      cpu_stats: { cpu_usage: { total_usage: 300 }, system_cpu_usage: 1000, online_cpus: 1 },
      precpu_stats: { cpu_usage: { total_usage: 200 }, system_cpu_usage: 0 },
      memory_stats: { usage: 100, limit: 1000, stats: { total_inactive_file: 30 } },
    },
    { cpuPercent: 10, memoryBytes: 70, memoryLimitBytes: 1000, cpuSecondsTotal: 0.0000003 },
  ],
  [
    'the first sample, with no previous one, and a container gone quiet',
    {},
    { cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0, cpuSecondsTotal: 0 },
  ],
])('%s', (_label, stats, expected) => {
  expect(usageFromStats(stats)).toEqual(expected);
});
