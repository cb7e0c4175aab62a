/** Counts events per key in fixed windows; memory bounded by the keys seen in one window. */
export class FailureCounter {
  private readonly counts = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  add(key: string): void {
    const now = Date.now();
    const current = this.counts.get(key);
    if (!current || now - current.since > this.windowMs) this.counts.set(key, { count: 1, since: now });
    else current.count++;
    if (this.counts.size > 10_000) this.forgetOld(now);
  }

  exceeded(key: string): boolean {
    const current = this.counts.get(key);
    return current !== undefined && Date.now() - current.since <= this.windowMs && current.count >= this.max;
  }

  private forgetOld(now: number): void {
    for (const [key, value] of this.counts) if (now - value.since > this.windowMs) this.counts.delete(key);
  }
}
