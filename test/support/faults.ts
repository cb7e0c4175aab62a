import Docker from 'dockerode';
import type { SlipwayUnderTest } from './slipway.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/**
 * What the fault tests break: `app` (the db-app fixture) deployed with Postgres `db` linked
 * and a row written through it, which it must read back after each fault.
 */
export async function deployWithPostgres(slipway: SlipwayUnderTest, app: string, db: string): Promise<void> {
  const pushed = await slipway.push(await slipway.appRepo('db-app', app));
  if (pushed.code !== 0) throw new Error(pushed.output);
  for (const command of [
    ['postgres:create', db],
    ['postgres:link', db, app],
  ]) {
    const result = await slipway.ssh(command);
    if (result.code !== 0) throw new Error(result.output);
  }
  const written = await slipway.get(slipway.appHost(app), '/write/before-faults');
  if (written.body !== 'written\n') throw new Error(`the app did not write: ${written.status} ${written.body}`);
}

/** The instance's containers with these labels (running ones only unless `all`). */
export function instanceContainers(
  slipway: SlipwayUnderTest,
  labels: string[],
  all = true,
): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all, filters: { label: [`slipway.instance=${slipway.instance}`, ...labels] } });
}
