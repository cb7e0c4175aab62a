/** What a container uses now: CPU over the last sample interval, and memory. */
export interface ContainerUsage {
  /** 100 is one whole CPU. */
  cpuPercent: number;
  /** Memory in use, without the page cache the kernel can drop (as `docker stats` shows it). */
  memoryBytes: number;
  /** Its memory limit, or the host's memory when it has none. */
  memoryLimitBytes: number;
  /** CPU time used since it started, in seconds (Prometheus's counter). */
  cpuSecondsTotal: number;
}

export interface UsageOptions {
  /** Totals and memory at once, without the CPU percentage (which needs a second sample a second later). */
  oneShot?: boolean;
}

/** The parts of the Engine API's stats document read here (cgroup v1 and v2). */
export interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/** `docker stats`'s arithmetic, from one stats document (which carries the previous sample too). */
export function usageFromStats(stats: DockerStats): ContainerUsage {
  const cpu = stats.cpu_stats ?? {};
  const previous = stats.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (previous.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (previous.system_cpu_usage ?? 0);
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * (cpu.online_cpus ?? 1) * 100 : 0;
  const memory = stats.memory_stats ?? {};
  // cgroup v2 reports inactive_file, v1 total_inactive_file: the cache docker stats leaves out.
  const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
  const used = Math.max(0, (memory.usage ?? 0) - cache);
  return {
    cpuPercent: Math.round(cpuPercent * 10) / 10,
    memoryBytes: used,
    memoryLimitBytes: memory.limit ?? 0,
    cpuSecondsTotal: (cpu.cpu_usage?.total_usage ?? 0) / 1e9,
  };
}
