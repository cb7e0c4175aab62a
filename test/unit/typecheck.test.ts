import path from 'node:path';
import { expect, test } from 'vitest';
import { run } from '../support/slipway.js';

/** vitest runs tests without type-checking them: this holds the tests and benches to the same types as the code. */
test('the tests and benchmarks type-check against the code', { timeout: 120_000 }, async () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const result = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'test/tsconfig.json')]);
  expect(result.output).toBe('');
  expect(result.code).toBe(0);
});
