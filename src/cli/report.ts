import type { StatusNames } from '../config';
import { describeUnscannable, type UnscannableFields, unscannableOfResult } from '../scan/unscannable';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_INFECTED } from './usage';

export interface FileResult extends Partial<UnscannableFields> {
  readonly path: string;
  readonly status: string;
  readonly signature?: string;
  readonly durationMs: number;
  readonly error?: string;
}

export interface Summary {
  readonly files: number;
  readonly clean: number;
  readonly infected: number;
  /** Not fully scanned by clamd (encrypted, over a limit, a format it skips): neither clean nor infected. */
  readonly unscannable: number;
  readonly skipped: number;
  readonly errors: number;
  readonly durationMs: number;
  readonly definitions?: string;
  readonly testSignatures?: boolean;
}

/**
 * Each result counted once, by its status and what it says of itself: UNSCANNABLE, SKIPPED and
 * PROCESSING_ERROR may share a name (GuardDuty's UNSUPPORTED), an unscannable result says so and
 * an error names itself.
 */
export function summarise(results: readonly FileResult[], names: StatusNames, durationMs: number): Summary {
  const counts = { clean: 0, infected: 0, unscannable: 0, skipped: 0, errors: 0 };
  for (const r of results) {
    if (r.status === names.CLEAN) counts.clean++;
    else if (r.status === names.INFECTED) counts.infected++;
    else if (r.status === names.UNSCANNABLE && r.unscannable) counts.unscannable++;
    else if (r.status === names.SKIPPED && r.error === undefined) counts.skipped++;
    else counts.errors++;
  }
  return { files: results.length, ...counts, durationMs };
}

/**
 * As clamscan's: 1 when anything is infected; else 2 when anything was not scanned completely
 * (an error, SKIPPED over the size limit, UNSCANNABLE); else 0. clamscan itself exits 1 for
 * encrypted or over-limit content, which it reports as heuristic findings: here no virus was
 * found in it, the file could not be judged, so it is 2 (or 1 under
 * UNSCANNABLE_POLICY=block-as-infected, where such files are INFECTED).
 */
export function exitCode(summary: Summary): number {
  if (summary.infected > 0) return EXIT_INFECTED;
  if (summary.errors > 0 || summary.skipped > 0 || summary.unscannable > 0) return EXIT_ERROR;
  return EXIT_CLEAN;
}

export function formatResult(result: FileResult): string {
  const found = result.signature ? ` ${result.signature}` : '';
  const why = result.error ? ` (${result.error})` : unscannableNote(result);
  return `${result.path}: ${result.status}${found}${why} [${result.durationMs} ms]`;
}

/** ` (not fully scanned: encrypted)` for a result that says clamd could not scan it completely, else nothing. */
export function unscannableNote(result: Parameters<typeof unscannableOfResult>[0]): string {
  const unscannable = unscannableOfResult(result);
  return unscannable ? ` (not fully scanned: ${describeUnscannable(unscannable)})` : '';
}

export function formatSummary(summary: Summary): string {
  return [
    '----------- SCAN SUMMARY -----------',
    `Files scanned: ${summary.files}`,
    `Clean: ${summary.clean}`,
    `Infected: ${summary.infected}`,
    `Unscannable (not fully scanned): ${summary.unscannable}`,
    `Skipped (over the size limit): ${summary.skipped}`,
    `Errors: ${summary.errors}`,
    ...(summary.definitions ? [`Definitions: ${summary.definitions}`] : []),
    `Time: ${(summary.durationMs / 1000).toFixed(2)} s`,
  ].join('\n');
}

/** A one-line progress bar on a terminal's standard error; nothing anywhere else. */
export class Progress {
  private done = 0;
  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream | undefined,
  ) {}

  static for(total: number, enabled: boolean): Progress {
    return new Progress(total, enabled && process.stderr.isTTY ? process.stderr : undefined);
  }

  tick(): void {
    this.done++;
    if (!this.stream) return;
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total}`);
    if (this.done === this.total) this.stream.write('\r\x1b[K');
  }
}
