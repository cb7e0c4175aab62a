import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { childrenOf, type SlipwayUnderTest } from './slipway.js';

export interface NginxState {
  workers: number[];
  generation: string;
}

/** The master's workers and the config generation: a reload changes both. */
export function nginxState(slipway: SlipwayUnderTest): NginxState {
  const dir = path.join(slipway.dir, 'data', 'nginx');
  const master = Number(fs.readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim());
  const generation = /return 200 "([a-z0-9]+)"/.exec(fs.readFileSync(path.join(dir, 'status.conf'), 'utf8'))![1]!;
  return { workers: childrenOf(master).sort(), generation };
}

/**
 * No reload since `before`: the same config generation and no new worker. A worker of an
 * earlier reload may still be finishing its requests when `before` was taken and exit since,
 * so the workers now are a subset of those then, not necessarily all of them.
 */
export function expectNoReloadSince(slipway: SlipwayUnderTest, before: NginxState): void {
  const now = nginxState(slipway);
  expect(now.generation).toBe(before.generation);
  expect(now.workers.filter((pid) => !before.workers.includes(pid))).toEqual([]);
  expect(now.workers.length).toBeGreaterThan(0);
}
