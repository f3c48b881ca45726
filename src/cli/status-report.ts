import type { Verdict } from '../scan/contract';

export interface VerdictFigures {
  readonly count: number;
  /** Milliseconds; absent without scans. */
  readonly p50?: number;
  readonly p99?: number;
}

export interface StackStatus {
  readonly stack?: string;
  readonly definitions:
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
  readonly canary:
    | {
        readonly reported: true;
        readonly time: string;
        readonly detected: boolean;
        readonly latencyMs?: number;
      }
    | { readonly reported: false; readonly since: string };
  readonly scans: {
    readonly lastHour: Record<Verdict, VerdictFigures>;
    readonly lastDay: Record<Verdict, VerdictFigures>;
  };
  readonly alarms: ReadonlyArray<{
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
