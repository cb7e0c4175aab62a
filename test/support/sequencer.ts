import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Files that wait for their turn at the one test cluster of the machine (test/support/cluster.ts). */
const CLUSTER_FILES = ['swarm.test.ts', 'walkthrough.test.ts'];

/**
 * Seconds each long e2e file took in a whole run (3 files at a time on 2 cores), for a
 * checkout with no times of its own yet (CI's fresh one): vitest would otherwise start the
 * biggest files first, and a long file started late is the end of the run. A file's time from
 * this checkout's last run (vitest's cache) comes first. Files not named here are short.
 */
const LAST_KNOWN_SECONDS: Record<string, number> = {
  'swarm.test.ts': 396,
  'buildpacks.test.ts': 165,
  'node-versions.test.ts': 110,
  'faults.test.ts': 205,
  'services.test.ts': 152,
  'tenants.test.ts': 145,
  'backup-drills.test.ts': 122,
  'rails.test.ts': 119,
  'dashboard-actions.test.ts': 118,
  'push-to-deploy.test.ts': 101,
  'dashboard-events.test.ts': 99,
  'bad-input.test.ts': 98,
  'shutdown.test.ts': 95,
  'operator.test.ts': 93,
  'config-and-releases.test.ts': 90,
  'mariadb.test.ts': 84,
};
const SHORT_SECONDS = 30;

/**
 * The unit tier in vitest's own order; in the e2e tiers the longest files first (the last
 * run's times), except that of the files needing the test cluster only the first keeps its
 * place and the others go last: a file started while another has the cluster would hold a
 * worker idle until it is free.
 */
export default class E2eSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const longestFirst = (await super.sort(files))
      .map((file, order) => ({ file, order, seconds: this.expectedSeconds(file) }))
      .sort((a, b) => projectOrder(a.file, b.file) || b.seconds - a.seconds || a.order - b.order)
      .map(({ file }) => file);
    const needsCluster = (file: TestSpecification) => CLUSTER_FILES.includes(path.basename(file.moduleId));
    const first = longestFirst.find(needsCluster);
    const waits = (file: TestSpecification) => (needsCluster(file) && file !== first ? 1 : 0);
    // Stable: each project's files keep their order, those waiting for the cluster at its end.
    return longestFirst.sort((a, b) => projectOrder(a, b) || waits(a) - waits(b));
  }

  /** 0 for unit files (their order stays vitest's), else the last run's seconds or the table's. */
  private expectedSeconds(file: TestSpecification): number {
    if (!file.project.name.startsWith('e2e')) return 0;
    const key = `${file.project.name}:${path.relative(this.ctx.config.root, file.moduleId)}`;
    const cached = this.ctx.cache.getFileTestResults(key)?.duration;
    return cached !== undefined ? cached / 1000 : (LAST_KNOWN_SECONDS[path.basename(file.moduleId)] ?? SHORT_SECONDS);
  }
}

/** Tiers and projects keep the order vitest gives them (sequence.groupOrder, then name). */
function projectOrder(a: TestSpecification, b: TestSpecification): number {
  const group = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
  if (group !== 0) return group;
  return a.project.name === b.project.name ? 0 : a.project.name < b.project.name ? -1 : 1;
}
