import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Files that wait for their turn at the one test cluster of the machine (test/support/cluster.ts). */
const CLUSTER_FILES = ['swarm.test.ts', 'walkthrough.test.ts'];

/**
 * Vitest's order (the longest files first, from the last run's times), except that of the
 * files needing the test cluster only the first keeps its place and the others go last: a
 * file started while another has the cluster would hold a worker idle until it is free.
 */
export default class E2eSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const needsCluster = (file: TestSpecification) => CLUSTER_FILES.some((name) => file.moduleId.endsWith(`/${name}`));
    const first = sorted.find(needsCluster);
    const waiting = sorted.filter((file) => needsCluster(file) && file !== first);
    return [...sorted.filter((file) => !waiting.includes(file)), ...waiting];
  }
}
