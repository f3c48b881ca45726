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
