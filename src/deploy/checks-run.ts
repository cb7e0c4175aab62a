import { UserError } from '../core/errors.js';
import { releaseMetaSchema } from '../model/release.js';
import type { Platform } from '../platform.js';
import { appDomains } from '../proxy/domains.js';
import { compareWithRunning } from './compare.js';

/**
 * checks:run: the current release's checks against what runs now, process type by type
 * (all of them, or those named). Each instance's outcome, in order.
 * Only the instances that serve the release count: after a restart deploy, the old
 * container of a slot still drains beside its successor and exits while it is checked.
 */
export async function checkRunning(platform: Platform, app: string, types: string[], onLine: (line: string) => void) {
  const current = platform.state.releases.current(app);
  if (!current) throw new UserError(`${app} has not been deployed yet`);
  const meta = releaseMetaSchema.parse(current.meta);
  const scheduler = platform.schedulerFor(app);
  const host = appDomains(platform.state, platform.settings, app)[0];
  const { keep } = await compareWithRunning(platform, app, current);
  const running = keep.filter((i) => i.running && (types.length === 0 || types.includes(i.process)));
  if (running.length === 0)
    throw new UserError(`${app} has no running containers${types.length ? ` of type ${types.join(', ')}` : ''}`);
  const outcomes = [];
  for (const instance of running.sort((a, b) => `${a.process}.${a.index}`.localeCompare(`${b.process}.${b.index}`))) {
    const port = instance.process === 'web' ? instance.endpoint?.port : undefined;
    const checks = { skip: false, host, checks: meta.healthchecks[instance.process] ?? [] };
    outcomes.push({
      label: `${instance.process}.${instance.index}`,
      outcome: await scheduler.verify(app, instance, port, checks, onLine),
    });
  }
  return outcomes;
}
