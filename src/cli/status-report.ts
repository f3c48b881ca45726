import type { Verdict } from '../scan/contract';

export interface VerdictFigures {
  readonly count: number;
  /** Milliseconds; absent without scans. */
  readonly p50?: number;
  readonly p99?: number;
}

export type VerdictTable = Record<Verdict, VerdictFigures>;

/** The scans of one window, by verdict: counts only (no latency series to take percentiles from). */
export type VerdictCounts = Record<Verdict, { readonly count: number }>;

/** One account's scans: the objects of its buckets, whichever account scanned them. */
export interface AccountScans {
  /** A 12-digit AWS account id. */
  readonly account: string;
  /** The account `status` ran in: the stack's own (on an organization hub, the hub). */
  readonly own: boolean;
  readonly lastHour: VerdictTable;
  readonly lastDay: VerdictTable;
}

export type DefinitionsReport =
  | {
      readonly published: true;
      readonly layout: 'manifest';
      readonly version: string;
      readonly builtAt: string;
      readonly ageHours: number;
    }
  | {
      /** Database files without a manifest (what `serve` publishes), as the scanner loads them. */
      readonly published: true;
      readonly layout: 'plain';
      /** The set's id, as scan results name it: a digest of the files' names, ETags and sizes. */
      readonly version: string;
      readonly files: readonly string[];
      /** When the newest of the files was uploaded. */
      readonly uploadedAt?: string;
      readonly ageHours?: number;
    }
  | { readonly published: false; readonly reason: string };

export type CanaryReport =
  | {
      readonly reported: true;
      readonly time: string;
      readonly detected: boolean;
      readonly latencyMs?: number;
    }
  | { readonly reported: false; readonly since: string };

export interface StackStatus {
  readonly stack?: string;
  /**
   * The account `status` read (STS GetCallerIdentity): the stack's CloudWatch, alarms and
   * definitions are this account's. On an organization hub, the hub account.
   */
  readonly account: string;
  /** The definitions of `account`: on a hub, member accounts' objects are scanned with the hub's. */
  readonly definitions: { readonly account: string } & DefinitionsReport;
  /** The canary runs in `account`, on its own bucket. */
  readonly canary: { readonly account: string } & CanaryReport;
  readonly scans: {
    /** Every account's scans together (the series the alarms and the dashboard read). */
    readonly lastHour: VerdictTable;
    readonly lastDay: VerdictTable;
    /**
     * By the account owning the object, `own` first (`--account`: that account only). A stack
     * for its own account has one entry; a hub has one per account its metrics name.
     */
    readonly byAccount: readonly AccountScans[];
    /**
     * On a hub, the scans counted in the totals but in no account's series: results that named
     * no account (the hub's own objects scanned by a direct request or a bulk scan of its own
     * bucket), and an account's first scans while CloudWatch does not list its series yet (up to
     * 15 minutes). Absent when there are none, and with `--account`.
     */
    readonly withoutAccount?: { readonly lastHour: VerdictCounts; readonly lastDay: VerdictCounts };
  };
  /** Alarms in ALARM in `account` (the hub's alarms watch every account's scans). */
  readonly alarms: ReadonlyArray<{
    readonly account: string;
    readonly name: string;
    readonly reason?: string;
    readonly since?: string;
  }>;
}

/** Something needs a look: an alarm in ALARM, no definitions published, the last canary not detected. */
export function needsAttention(status: StackStatus): boolean {
  return (
    status.alarms.length > 0 ||
    !status.definitions.published ||
    (status.canary.reported && !status.canary.detected)
  );
}
