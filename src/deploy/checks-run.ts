import { UserError } from '../core/errors.js';
import { releaseMetaSchema } from '../model/release.js';
import type { Platform } from '../platform.js';
import { appDomains } from '../proxy/domains.js';
import { compareWithRunning } from './compare.js';
import type { Instance } from '../runtime/scheduler.js';
import type { CheckOutcome } from '../runtime/checks.js';

/**
 * checks:run: the current release's checks against what runs now, process type by type
 * (all of them, or those named: `web`, or one instance `web.2`, as in Dokku). Each
 * instance's outcome, in order.
 * Only the instances that serve the release count: after a restart deploy, the old
 * container of a slot still drains beside its successor and exits while it is checked.
 */
export async function checkRunning(
  platform: Platform,
  app: string,
  selectors: string[],
  onLine: (line: string) => void,
  each: { start?(label: string): void; done?(label: string, outcome: CheckOutcome): void } = {},
) {
  const current = platform.state.releases.current(app);
  if (!current) throw new UserError(`${app} has not been deployed yet`);
  const meta = releaseMetaSchema.parse(current.meta);
  const scheduler = platform.schedulerFor(app);
  const host = appDomains(platform.state, platform.settings, app)[0];
  const { keep } = await compareWithRunning(platform, app, current);
  const running = selectInstances(
    app,
    keep.filter((i) => i.running),
    selectors,
  );
  if (running.length === 0) throw new UserError(`${app} has no running containers`);
  const outcomes = [];
  for (const instance of running.sort((a, b) => `${a.process}.${a.index}`.localeCompare(`${b.process}.${b.index}`))) {
    const port = instance.process === 'web' ? instance.endpoint?.port : undefined;
    const checks = { skip: false, host, checks: meta.healthchecks[instance.process] ?? [] };
    const label = `${instance.process}.${instance.index}`;
    each.start?.(label);
    const outcome = await scheduler.verify(app, instance, port, checks, onLine);
    each.done?.(label, outcome);
    outcomes.push({ label, outcome });
  }
  return outcomes;
}

/** The instances the words name (`web`, `web.2`), each once; Dokku's errors for a type or index that does not run. */
function selectInstances(app: string, running: Instance[], selectors: string[]): Instance[] {
  if (selectors.length === 0) return running;
  const chosen = new Set<Instance>();
  for (const selector of selectors) {
    const [type = '', index] = selector.split('.', 2);
    const ofType = running.filter((i) => i.process === type);
    if (ofType.length === 0) throw new UserError(`Invalid process type specified (${app}.${type})`);
    const picked = index === undefined ? ofType : ofType.filter((i) => String(i.index) === index);
    if (picked.length === 0) throw new UserError(`Invalid container index specified (${app}.${type}.${index})`);
    picked.forEach((i) => chosen.add(i));
  }
  return [...chosen];
}
