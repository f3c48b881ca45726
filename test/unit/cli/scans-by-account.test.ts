import { byVerdict, scansByAccount, type WindowFigures } from '../../../src/cli/scans-by-account';
import type { Verdict } from '../../../src/scan/contract';

const HUB = '111111111111';
const MEMBER = '222222222222';
const OTHER = '333333333333';

/** A window pair with the given counts (others 0), and percentiles on what was counted. */
function figures(
  hour: Partial<Record<Verdict, number>>,
  day: Partial<Record<Verdict, number>> = hour,
): WindowFigures {
  const table = (counts: Partial<Record<Verdict, number>>) =>
    byVerdict((verdict) => {
      const count = counts[verdict] ?? 0;
      return count > 0 ? { count, p50: 10, p99: 90 } : { count };
    });
  return { lastHour: table(hour), lastDay: table(day) };
}

test('a stack for its own account (no Account series) has one entry: its own, the totals with their percentiles', () => {
  const totals = figures({ CLEAN: 4, INFECTED: 1 }, { CLEAN: 6, INFECTED: 1 });

  const shown = scansByAccount({ own: HUB, totals, perAccount: new Map() });

  expect(shown).toEqual({ byAccount: [{ account: HUB, own: true, ...totals }] });
});

test("on a hub each account has its series' figures, its own account first, the others in order", () => {
  const perAccount = new Map([
    [OTHER, figures({ CLEAN: 1 })],
    [MEMBER, figures({ INFECTED: 2 })],
    [HUB, figures({ CLEAN: 3 })],
  ]);

  const shown = scansByAccount({ own: HUB, totals: figures({ CLEAN: 4, INFECTED: 2 }), perAccount });

  expect(shown.byAccount.map((entry) => [entry.account, entry.own])).toEqual([
    [HUB, true],
    [MEMBER, false],
    [OTHER, false],
  ]);
  expect(shown.byAccount[1]).toEqual({ account: MEMBER, own: false, ...figures({ INFECTED: 2 }) });
  expect(shown.withoutAccount).toBeUndefined();
});

test('a hub whose own account has no series of its own still has its entry, with no scans', () => {
  const shown = scansByAccount({
    own: HUB,
    totals: figures({ CLEAN: 2 }),
    perAccount: new Map([[MEMBER, figures({ CLEAN: 2 })]]),
  });

  expect(shown.byAccount[0]).toEqual({ account: HUB, own: true, ...figures({}) });
});

test("the totals' scans beyond the accounts' series are reported apart, counts only, never attributed to an account", () => {
  const shown = scansByAccount({
    own: HUB,
    totals: figures({ CLEAN: 5, UNSCANNABLE: 1 }, { CLEAN: 9, UNSCANNABLE: 1 }),
    perAccount: new Map([
      [HUB, figures({ CLEAN: 1 }, { CLEAN: 2 })],
      [MEMBER, figures({ CLEAN: 2, UNSCANNABLE: 1 }, { CLEAN: 3, UNSCANNABLE: 1 })],
    ]),
  });

  expect(shown.withoutAccount).toEqual({
    lastHour: byVerdict((verdict) => ({ count: verdict === 'CLEAN' ? 2 : 0 })),
    lastDay: byVerdict((verdict) => ({ count: verdict === 'CLEAN' ? 4 : 0 })),
  });
  expect(shown.byAccount[0]).toEqual({ account: HUB, own: true, ...figures({ CLEAN: 1 }, { CLEAN: 2 }) });
});

test('accounts read a moment after the totals never make the difference negative', () => {
  const shown = scansByAccount({
    own: HUB,
    totals: figures({ CLEAN: 1 }),
    perAccount: new Map([[MEMBER, figures({ CLEAN: 2 })]]),
  });

  expect(shown.withoutAccount).toBeUndefined();
});

test('--account keeps that account only, with no difference reported', () => {
  const shown = scansByAccount({
    own: HUB,
    totals: figures({ CLEAN: 9 }),
    perAccount: new Map([
      [HUB, figures({ CLEAN: 1 })],
      [MEMBER, figures({ CLEAN: 2 })],
    ]),
    only: MEMBER,
  });

  expect(shown).toEqual({ byAccount: [{ account: MEMBER, own: false, ...figures({ CLEAN: 2 }) }] });
});

test('--account of an account no metric names shows it with no scans', () => {
  const shown = scansByAccount({
    own: HUB,
    totals: figures({ CLEAN: 3 }),
    perAccount: new Map([[MEMBER, figures({ CLEAN: 3 })]]),
    only: OTHER,
  });

  expect(shown).toEqual({ byAccount: [{ account: OTHER, own: false, ...figures({}) }] });
});

test("--account of a hub's own account is its series, not the totals", () => {
  const shown = scansByAccount({
    own: HUB,
    totals: figures({ CLEAN: 3 }),
    perAccount: new Map([[MEMBER, figures({ CLEAN: 3 })]]),
    only: HUB,
  });

  expect(shown).toEqual({ byAccount: [{ account: HUB, own: true, ...figures({}) }] });
});

test('--account of its own account on a stack for its own account is the totals', () => {
  const totals = figures({ CLEAN: 3 });

  const shown = scansByAccount({ own: HUB, totals, perAccount: new Map(), only: HUB });

  expect(shown).toEqual({ byAccount: [{ account: HUB, own: true, ...totals }] });
});
