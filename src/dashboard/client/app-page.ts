// One app's page, made of sections (each in its own module): each is set up once (its forms
// and buttons) and gives back how to read its part again. The page reads every part again
// whenever the app's summary changes on the event stream, and after every change made here.
import { destroySection, grantsSection } from './app-admin.js';
import { configSection } from './app-config.js';
import { deploysSection, releasesSection } from './app-deploys.js';
import { domainsSection, httpsSection } from './app-domains.js';
import { logsSection } from './app-logs.js';
import { metricsPanel } from './metrics-panel.js';
import { processesSection, refreshUsage, USAGE_MS } from './app-processes.js';
import { busyUntilShown, byId, say, sayFailed, watchApps } from './page.js';

/**
 * One part of the app page: given the app and what to call after a change made here (the
 * page reads every part again), it sets itself up and answers how to read its part again.
 */
export type AppSection = (app: string, changed: () => void) => () => Promise<unknown>;

/**
 * The page's parts. A new one (such as a metrics panel: templates/dashboard/app.hbs keeps
 * its place, `#metrics`) is a module exporting an AppSection, added here.
 */
const SECTIONS: AppSection[] = [
  processesSection,
  deploysSection,
  releasesSection,
  logsSection,
  configSection,
  domainsSection,
  httpsSection,
  grantsSection,
  destroySection,
];

export function appPage(): void {
  const app = byId('app').dataset.app ?? '';
  const refreshers: (() => Promise<unknown>)[] = [];
  const refreshApp = () => Promise.all(refreshers.map((refresh) => refresh()));
  const shown = busyUntilShown();
  const changed = () => void refreshApp().catch(sayFailed).finally(shown);
  for (const section of SECTIONS) refreshers.push(section(app, changed));
  // The page is read again whenever the app's summary changes (a deploy starts or ends, a
  // release, containers start or stop, domains), and the CPU and memory charts are sampled
  // while containers run and the page is seen.
  const told = metricsPanel(app);
  let seen = '';
  let running = false;
  watchApps((apps) => {
    const summary = apps.get(app);
    if (!summary) return say(`${app} no longer exists`, true);
    running = summary.processes > 0;
    const now = JSON.stringify(summary);
    if (now === seen) return;
    seen = now;
    changed();
  }, told);
  setInterval(() => {
    if (running && document.visibilityState === 'visible') refreshUsage(app).catch(sayFailed);
  }, USAGE_MS);
}
