import { VERDICTS, type Verdict } from '../scan/contract';
import type { AccountScans, StackStatus, VerdictCounts, VerdictTable } from './status-report';

/** The scans of the last hour and the last day, by verdict, of one ScanLatency series. */
export interface WindowFigures {
  readonly lastHour: VerdictTable;
  readonly lastDay: VerdictTable;
}

export interface ScansByAccountInput {
  /** The account `status` ran in: the stack's own, or the hub. */
  readonly own: string;
  /** The series without Account: every scan, whichever account owns the object. */
  readonly totals: WindowFigures;
  /** The series with Account (an organization hub emits one per account), by account. */
  readonly perAccount: ReadonlyMap<string, WindowFigures>;
  /** `--account`: that account's entry only. */
  readonly only?: string;
}

/**
 * The scans by account, from the series the scanner emits (src/scan/scan-metrics.ts): every scan
 * in the series without Account, and on an organization hub each scan whose result names an
 * account in that account's series too. Without any Account series the stack scans for its own
 * account alone, so the totals are its own, percentiles included. On a hub each account's figures
 * are its series', and what the totals hold beyond their sum is reported apart (`withoutAccount`):
 * CloudWatch cannot say whose those scans were, nor take percentiles of a difference.
 */
export function scansByAccount(
  input: ScansByAccountInput,
): Pick<StackStatus['scans'], 'byAccount' | 'withoutAccount'> {
  const { own, totals, perAccount, only } = input;
  const hub = perAccount.size > 0;
  const figuresOf = (account: string): WindowFigures =>
    hub ? (perAccount.get(account) ?? NO_SCANS) : account === own ? totals : NO_SCANS;
  const entry = (account: string): AccountScans => ({ account, own: account === own, ...figuresOf(account) });
  if (only !== undefined) return { byAccount: [entry(only)] };
  const others = [...perAccount.keys()].filter((account) => account !== own).sort();
  const byAccount = [own, ...others].map(entry);
  if (!hub) return { byAccount };
  const withoutAccount = {
    lastHour: remainder(
      totals.lastHour,
      [...perAccount.values()].map((f) => f.lastHour),
    ),
    lastDay: remainder(
      totals.lastDay,
      [...perAccount.values()].map((f) => f.lastDay),
    ),
  };
  const any = VERDICTS.some(
    (verdict) => withoutAccount.lastHour[verdict].count > 0 || withoutAccount.lastDay[verdict].count > 0,
  );
  return any ? { byAccount, withoutAccount } : { byAccount };
}

/** The totals' scans beyond the accounts' (never below 0: the series are read a moment apart). */
function remainder(total: VerdictTable, accounts: readonly VerdictTable[]): VerdictCounts {
  return byVerdict((verdict) => ({
    count: Math.max(
      0,
      accounts.reduce((left, table) => left - table[verdict].count, total[verdict].count),
    ),
  }));
}

export function byVerdict<T>(figures: (verdict: Verdict) => T): Record<Verdict, T> {
  return Object.fromEntries(VERDICTS.map((verdict) => [verdict, figures(verdict)])) as Record<Verdict, T>;
}

const NONE: VerdictTable = byVerdict(() => ({ count: 0 }));
const NO_SCANS: WindowFigures = { lastHour: NONE, lastDay: NONE };
