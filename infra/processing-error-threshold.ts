/**
 * When PROCESSING_ERROR results raise ProcessingErrorsAlarm, over 15 minutes: a share of all
 * scans (counted from 10 scans in the period, so one error among two scans is no alarm), or a
 * number of them. The construct checks the value (a whole number; a percent from 1 to 100).
 */
export class ProcessingErrorThreshold {
  /** More than `percent` % of all scans within 15 minutes, from 10 scans up. */
  static percent(percent: number): ProcessingErrorThreshold {
    return new ProcessingErrorThreshold(percent, undefined);
  }

  /** At least `count` scans within 15 minutes. */
  static count(count: number): ProcessingErrorThreshold {
    return new ProcessingErrorThreshold(undefined, count);
  }

  /** The share of all scans, in percent; undefined for a count. */
  readonly percentOfScans?: number;
  /** The number of scans; undefined for a share. */
  readonly scans?: number;

  private constructor(percentOfScans: number | undefined, scans: number | undefined) {
    if (percentOfScans !== undefined) this.percentOfScans = percentOfScans;
    if (scans !== undefined) this.scans = scans;
  }
}
