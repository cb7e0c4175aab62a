import path from 'node:path';
import { expect, test } from 'vitest';
import { run } from '../support/slipway.js';

/** vitest runs tests without type-checking them: this holds the tests and benches to the same types as the code. */
test('the tests and benchmarks type-check against the code', { timeout: 120_000 }, async () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const result = await run(process.execPath, [
    path.join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    path.join(root, 'test/tsconfig.json'),
  ]);
  expect(result.output).toBe('');
  expect(result.code).toBe(0);
});

/** The main build gives the dashboard's browser code Node's globals too: this holds it to the browser's alone. */
test(
  'the dashboard’s browser code type-checks with the browser’s globals and none of Node’s',
  { timeout: 120_000 },
  async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const result = await run(process.execPath, [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(root, 'src/dashboard/client/tsconfig.json'),
    ]);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  },
);
