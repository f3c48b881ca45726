/** Runs `work` on every item, at most `limit` at a time; the first failure rejects the whole. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(runners);
}

/**
 * Runs `work` on the items of `source` with at most `concurrency` at once, pulling the next item
 * only when a worker is free: a source that yields as it goes (a directory walk) is never read
 * ahead, so memory stays bounded however many items it has. Stops pulling once `stopped()`.
 */
export async function forEachPulled<T>(
  source: AsyncIterator<T> | Iterator<T>,
  concurrency: number,
  work: (item: T) => Promise<void>,
  stopped: () => boolean = () => false,
): Promise<void> {
  const worker = async () => {
    while (!stopped()) {
      const next = await source.next();
      if (next.done || stopped()) return;
      await work(next.value);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
