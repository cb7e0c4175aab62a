// Slipway's dashboard in the browser: the pages read and change everything through /api/v1
// with the session cookie. Pages refresh their data in place, never reloading: the apps and
// app pages learn what changed from one event stream (/api/v1/events), not by polling, so any
// number of apps and open pages stays far below the API's rate limit.
//
// Served as ES modules from the daemon's own origin (the CSP allows scripts from 'self'
// alone), compiled by tsc with no bundler: imports between these files are relative and
// end in .js, as the browser asks for them under /assets/.
import { accessPage } from './access-page.js';
import { appPage } from './app-page.js';
import { appsPage } from './apps-page.js';
import { keepAgesFresh } from './page.js';
import { nodesPage } from './nodes-page.js';
import { servicesPage } from './services-page.js';

document.addEventListener('DOMContentLoaded', () => {
  keepAgesFresh();
  const page = document.querySelector<HTMLElement>('[data-page]')?.dataset.page;
  if (page === 'apps') appsPage();
  if (page === 'app') appPage();
  if (page === 'services') servicesPage();
  if (page === 'nodes') nodesPage();
  if (page === 'access') accessPage();
  // Its modules all loaded and the page is live (a test waits for it).
  document.documentElement.dataset.ready = 'true';
});
