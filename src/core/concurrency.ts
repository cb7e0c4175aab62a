/**
 * Runs `work` on every item, at most `limit` at a time, in the items' order; resolves when all
 * have finished. `work` handles its own failures: one that throws rejects the whole, after the
 * others under way have finished.
 */
export async function forEachAtMost<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
