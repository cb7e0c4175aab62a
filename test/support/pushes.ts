import type { RunResult, SlipwayUnderTest } from './slipway.js';

/** A test's setup push: `slipway.push`, which must succeed (else its output is the error). */
export async function pushOrThrow(
  slipway: SlipwayUnderTest,
  repo: string,
  options?: Parameters<SlipwayUnderTest['push']>[1],
): Promise<RunResult> {
  const pushed = await slipway.push(repo, options);
  if (pushed.code !== 0) throw new Error(pushed.output);
  return pushed;
}

/** Pushes a copy of the fixture as `app`: the repository (for later commits) and how the push went. */
export async function deployFixture(
  slipway: SlipwayUnderTest,
  fixture: string,
  app: string,
): Promise<{ repo: string; pushed: RunResult }> {
  const repo = await slipway.appRepo(fixture, app);
  const pushed = await slipway.push(repo);
  return { repo, pushed };
}
