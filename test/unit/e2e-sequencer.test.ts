import { expect, test } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import E2eSequencer from '../support/sequencer.js';

// The order the suite starts its files in: a long file started late is the end of the run.

const ROOT = '/repo';

function spec(project: string, file: string, groupOrder: number): TestSpecification {
  return {
    moduleId: `${ROOT}/test/${project.startsWith('e2e') ? 'e2e' : 'unit'}/${file}`,
    project: { name: project, config: { sequence: { groupOrder }, isolate: true } },
  } as unknown as TestSpecification;
}

/** A sequencer over vitest's cache as a checkout has it: `seconds` of the files its last run timed. */
function sequencer(seconds: Record<string, number> = {}): E2eSequencer {
  const results = (key: string) => {
    const duration = seconds[key.slice(key.lastIndexOf('/') + 1)];
    return duration === undefined ? undefined : { duration: duration * 1000, failed: false };
  };
  const ctx = {
    config: { root: ROOT },
    cache: { getFileTestResults: results, getFileStats: () => ({ size: 1000 }) },
  };
  return new E2eSequencer(ctx as unknown as Vitest);
}

const files = [
  spec('unit', 'b.test.ts', 0),
  spec('e2e', 'cli-help.test.ts', 1),
  spec('e2e', 'walkthrough.test.ts', 1),
  spec('e2e', 'faults.test.ts', 1),
  spec('e2e-alone', 'dockerd-restart.test.ts', 2),
  spec('e2e', 'swarm.test.ts', 1),
  spec('unit', 'a.test.ts', 0),
  spec('e2e', 'buildpacks.test.ts', 1),
];
const names = (sorted: TestSpecification[]) =>
  sorted.map((file) => file.moduleId.slice(file.moduleId.lastIndexOf('/') + 1));

test('with no times of its own (a fresh checkout), the longest e2e files known start first, after the unit tier', async () => {
  expect(names(await sequencer().sort(files))).toEqual([
    'b.test.ts',
    'a.test.ts',
    'swarm.test.ts',
    'faults.test.ts',
    'buildpacks.test.ts',
    'cli-help.test.ts',
    'walkthrough.test.ts',
    'dockerd-restart.test.ts',
  ]);
});

test('the last run’s times come first; of the files needing the test cluster all but the first go last', async () => {
  const sorted = await sequencer({ 'walkthrough.test.ts': 500, 'cli-help.test.ts': 300, 'swarm.test.ts': 390 }).sort(
    files,
  );
  expect(names(sorted)).toEqual([
    'b.test.ts',
    'a.test.ts',
    'walkthrough.test.ts',
    'cli-help.test.ts',
    'faults.test.ts',
    'buildpacks.test.ts',
    'swarm.test.ts',
    'dockerd-restart.test.ts',
  ]);
});
