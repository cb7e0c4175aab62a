import type { UsageJson } from '../model/api.js';
import type { Platform } from '../platform.js';

/** What each running container of the app uses now, by name (`resource:usage`, the API). */
export async function appUsage(platform: Platform, app: string): Promise<UsageJson[]> {
  const scheduler = platform.schedulerFor(app);
  const running = (await scheduler.instances(app))
    .filter((i) => i.running)
    .sort((a, b) => a.name.localeCompare(b.name));
  const usage = await Promise.all(running.map((i) => scheduler.usage(i).catch(() => undefined)));
  return running.map((instance, n): UsageJson => ({
    process: `${instance.process}.${instance.index}`,
    release: instance.release,
    cpu_percent: usage[n]?.cpuPercent ?? null,
    memory_bytes: usage[n]?.memoryBytes ?? null,
    memory_limit_bytes: usage[n]?.memoryLimitBytes ?? null,
  }));
}
