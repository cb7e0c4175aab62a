import type { DockerEngine } from '../docker/index.js';
import { appNetworkLabels, appNetworkName, serviceLabels, serviceNetworkName, type LocalTarget } from './specs.js';

/** The app's network, made on first use (a deploy, a one-off, a service linked before any deploy); its name. */
export async function ensureAppNetwork(docker: DockerEngine, target: LocalTarget, app: string): Promise<string> {
  const name = appNetworkName(target, app);
  await docker.networks.ensure(name, appNetworkLabels(target, app));
  return name;
}

/** The service's own network; its name. */
export async function ensureServiceNetwork(
  docker: DockerEngine,
  target: LocalTarget,
  kind: string,
  service: string,
): Promise<string> {
  const name = serviceNetworkName(target, kind, service);
  await docker.networks.ensure(name, serviceLabels(target, kind, service));
  return name;
}
