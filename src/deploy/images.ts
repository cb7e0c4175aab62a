import type { Platform } from '../platform.js';

/** Where an app's release images live: `<instance>/app-<app>:v<N>`. */
export function imageRepository(instance: string, app: string): string {
  return `${instance}/app-${app}`;
}

/** Keeps the images of the newest succeeded releases (rollback targets) and drops the rest. */
export async function pruneReleaseImages(platform: Platform, app: string, keep: number): Promise<void> {
  const releases = platform.state.releases.list(app);
  const kept = new Set(
    releases
      .filter((r) => r.status === 'succeeded')
      .slice(0, keep)
      .map((r) => r.image),
  );
  for (const release of releases) {
    if (kept.has(release.image) || release.status === 'pending') continue;
    await platform.docker.removeImage(release.image).catch(() => {}); // still in use: next time
  }
}
