import { expect, test } from 'vitest';
import { run } from '../support/slipway.js';
import { TSC, tscArgs } from '../support/typescript.js';

/** vitest runs tests without type-checking them: this holds the tests and benches to the same types as the code. */
test('the tests and benchmarks type-check against the code', { timeout: 120_000 }, async () => {
  const result = await run(process.execPath, [TSC, ...tscArgs('test/tsconfig.json', 'dist/.tsbuildinfo-test')]);
  expect(result.output).toBe('');
  expect(result.code).toBe(0);
});

/** The main build gives the dashboard's browser code Node's globals too: this holds it to the browser's alone. */
test(
  'the dashboard’s browser code type-checks with the browser’s globals and none of Node’s',
  { timeout: 120_000 },
  async () => {
    const result = await run(process.execPath, [
      TSC,
      ...tscArgs('src/dashboard/client/tsconfig.json', 'dist/.tsbuildinfo-client'),
    ]);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  },
);
