/**
 * The props' closed sets of values, as enumerations (jsii has no string-literal unions). Each
 * value is the string the functions read (src/settings.ts); test/infra/choices.test.ts keeps the
 * two equal.
 */

/** The scan state machine's type (docs/deploy.md, "Standard or Express"). */
export enum WorkflowType {
  /** Each execution's history kept for 90 days; waits in the execution for throttling and cold starts. */
  STANDARD = 'STANDARD',
  /** Far cheaper per scan; history only in CloudWatch Logs; an SQS queue in front carries the retries. */
  EXPRESS = 'EXPRESS',
}

/** How a warm scanner switches to newer definitions (CLAMD_RELOAD_STRATEGY). */
export enum ReloadStrategy {
  /** `CONCURRENT` when a second engine fits in the function's memory, else `RESTART`. */
  AUTO = 'auto',
  /** clamd loads the new set beside the old one: scans never wait, memory briefly doubles. */
  CONCURRENT = 'concurrent',
  /** clamd is restarted on the new set: memory never doubles, scans wait for the load. */
  RESTART = 'restart',
}

/** What an object clamd could not scan completely is tagged (UNSCANNABLE_POLICY). */
export enum UnscannablePolicy {
  /** Tagged with the UNSCANNABLE status. */
  REPORT = 'report',
  /** Tagged INFECTED, as before the UNSCANNABLE verdict existed (results still say unscannable). */
  BLOCK_AS_INFECTED = 'block-as-infected',
}

/** A set of status tag key and values used by other scanners. */
export enum TagPreset {
  /**
   * GuardDuty Malware Protection for S3: the key `GuardDutyMalwareScanStatus` with NO_THREATS_FOUND,
   * THREATS_FOUND, UNSUPPORTED (SKIPPED and UNSCANNABLE) and FAILED.
   */
  GUARDDUTY = 'guardduty',
}

/** One of ClamAV's official databases (CLAMAV_OFFICIAL_DATABASES). */
export enum OfficialDatabase {
  /** `main.cvd`: the long-standing signatures. */
  MAIN = 'main',
  /** `daily.cvd`: the recent signatures. */
  DAILY = 'daily',
  /** `bytecode.cvd`: bytecode signatures. */
  BYTECODE = 'bytecode',
}

/** What happens to an INFECTED object besides its tag. */
export enum OnInfected {
  /** Nothing: the status tag only. */
  TAG = 'tag',
  /** Moved to the quarantine bucket (copied, verified, then the scanned version deleted). */
  QUARANTINE = 'quarantine',
  /** The scanned version deleted. */
  DELETE = 'delete',
}
