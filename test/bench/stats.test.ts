import { medianInterval, summarise } from '../../bench/lib/stats';

test('the median interval is the order statistics of the published tables (95 %, binomial)', () => {
  // 1-based ranks from the standard table for a distribution-free 95 % interval of the median.
  const published: Record<number, [number, number]> = {
    6: [1, 6],
    10: [2, 9],
    20: [6, 15],
    50: [18, 33],
    100: [40, 61],
  };
  for (const [n, [low, high]] of Object.entries(published)) {
    const interval = medianInterval(Number(n));
    expect([interval.low + 1, interval.high + 1]).toEqual([low, high]);
    expect(interval.confidence).toBeGreaterThanOrEqual(0.95);
  }
});

test('below 6 runs no interval reaches 95 %: the whole range is given, with the confidence it has', () => {
  expect(medianInterval(5)).toEqual({ low: 0, high: 4, confidence: 0.9375 });
});

test('a summary carries the quartiles and the median interval of its runs', () => {
  const stats = summarise(Array.from({ length: 20 }, (_, i) => 20 - i));

  expect(stats).toMatchObject({ n: 20, median: 10.5, q1: 5.75, q3: 15.25, ciLow: 6, ciHigh: 15 });
});
