import { CLAMAV_MAX_FILE_SIZE, SETTINGS } from '../settings';

/**
 * clamd's configuration, derived from the scan limit so that every object we accept is scanned
 * completely, and content ClamAV cannot scan completely is reported, never passed as clean.
 *
 * Measured on ClamAV 1.4.6 (see the integration tests): an archive member larger than
 * `MaxFileSize` is skipped silently even with `AlertExceedsMax`, while exceeding `MaxScanSize`
 * raises `Heuristics.Limits.Exceeded.MaxScanSize`. Keeping `MaxFileSize` >= `MaxScanSize` makes a
 * too-large member trip the scan-size alert first. A stream longer than `StreamMaxLength` is
 * refused with an error, so it is set to the object limit itself.
 */
export interface ClamdConfOptions {
  readonly socketPath: string;
  readonly databaseDir: string;
  readonly tempDir: string;
  /** Largest object we send, in bytes. */
  readonly maxFileSize: number;
  /** Most data ClamAV may extract and scan from one object, archives included, in bytes. */
  readonly maxScanSize: number;
  /**
   * Most time clamd spends scanning one object, in milliseconds (`maxScanTimeFor`); by default
   * that of the default CLAMD_SCAN_TIMEOUT_MS.
   */
  readonly maxScanTimeMs?: number;
  readonly maxThreads?: number;
}

/**
 * clamd's own time limit for one object: half of CLAMD_SCAN_TIMEOUT_MS (120 s by default, which
 * is also ClamAV's default). With `AlertExceedsMax` clamd then stops and answers
 * `Heuristics.Limits.Exceeded.MaxScanTime` (or the first limit it hit before), so content that
 * keeps clamd busy, an archive bomb, comes back UNSCANNABLE with its reason instead of running
 * into our own timeout. clamd checks the time between steps and overshoots by up to one step
 * (measured, ClamAV 1.4.6: about 5 s to extract a 1.2 GB member to disk); the other half of the
 * budget covers that and the transfer of the object into clamd.
 */
export function maxScanTimeFor(scanTimeoutMs: number): number {
  return Math.max(1, Math.floor(scanTimeoutMs / 2));
}

/** A 300 MB archive may expand to four times its size before the scan-size alert fires. */
export function defaultMaxScanSize(maxFileSize: number): number {
  return Math.min(CLAMAV_MAX_FILE_SIZE, Math.max(maxFileSize * 4, 100 * 1024 * 1024));
}

export function renderClamdConf(options: ClamdConfOptions): string {
  const maxScanSize = Math.max(options.maxScanSize, options.maxFileSize);
  const lines: Array<[string, string | number]> = [
    ['Foreground', 'yes'],
    ['LocalSocket', options.socketPath],
    // Only the Lambda's own user talks to clamd.
    ['LocalSocketMode', '600'],
    ['FixStaleSocket', 'yes'],
    ['DatabaseDirectory', options.databaseDir],
    ['TemporaryDirectory', options.tempDir],
    ['LogTime', 'yes'],
    ['LogVerbose', 'no'],
    ['LogSyslog', 'no'],
    ['MaxThreads', options.maxThreads ?? 10],
    ['MaxConnectionQueueLength', 64],
    ['StreamMaxLength', options.maxFileSize],
    ['MaxScanSize', maxScanSize],
    ['MaxFileSize', Math.min(CLAMAV_MAX_FILE_SIZE, maxScanSize)],
    ['MaxScanTime', options.maxScanTimeMs ?? maxScanTimeFor(SETTINGS.CLAMD_SCAN_TIMEOUT_MS.default)],
    ['AlertExceedsMax', 'yes'],
    ['AlertEncrypted', 'yes'],
    // Heuristic findings (encrypted, over a limit) are held until the whole object is scanned,
    // so a real detection anywhere in it is reported instead: an archive holding malware and an
    // encrypted member is INFECTED, not UNSCANNABLE. ClamAV's default, pinned because `yes`
    // stops at the first heuristic (measured: a zip with an encrypted member before EICAR).
    ['HeuristicScanPrecedence', 'no'],
    ['SelfCheck', 0],
    // clamd re-reads the database only when we ask it to (zRELOAD), never on its own.
    ['ConcurrentDatabaseReload', 'yes'],
  ];
  return `${lines.map(([key, value]) => `${key} ${value}`).join('\n')}\n`;
}
