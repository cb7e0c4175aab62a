import type { FakeInstance } from './fakes.js';

/** web.<index> of an app's v1, running at 10.0.0.<index>, as a fake scheduler lists it. */
export const webInstance = (id: string, index: number, app = 'shop'): FakeInstance => ({
  id,
  name: `${app}.web.${index}.${id}`,
  process: 'web',
  index,
  release: 1,
  running: true,
  restarting: false,
  endpoint: { host: `10.0.0.${index}`, port: 5000 },
});
