import { isUtf8 } from 'node:buffer';
import { describeUnscannable, type UnscannableFields, unscannableOfResult } from '../scan/unscannable';
import type { StatusNames } from '../settings';
import { printable } from '../util/printable';
import type { CommandIo } from './command-io';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_INFECTED } from './usage';

export interface FileResult extends Partial<UnscannableFields> {
  /** A file's path as the file system has it (bytes), or an object's s3:// address. */
  readonly path: string | Buffer;
  readonly status: string;
  /**
   * Set when this is not a file's result but a path that could not be scanned at all: a
   * directory that could not be read, or a PATH argument that is missing or not a file.
   */
  readonly notScanned?: 'directory' | 'path';
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
  /** Files whose scan failed. */
  readonly errors: number;
  /** Directories and PATH arguments that could not be scanned at all: not files, not counted in `files`. */
  readonly notScanned: number;
  readonly durationMs: number;
  readonly definitions?: string;
  readonly testSignatures?: boolean;
  /** Stopped by Ctrl-C before every file was scanned. */
  readonly interrupted?: boolean;
}

type Counts = Omit<Summary, 'durationMs' | 'definitions' | 'testSignatures' | 'interrupted'>;

function noCounts(): { -readonly [K in keyof Counts]: number } {
  return { files: 0, clean: 0, infected: 0, unscannable: 0, skipped: 0, errors: 0, notScanned: 0 };
}

/**
 * Counts one result, by its status and what it says of itself: UNSCANNABLE, SKIPPED and
 * PROCESSING_ERROR may share a name (GuardDuty's UNSUPPORTED), an unscannable result says so and
 * an error names itself.
 */
function count(
  counts: { -readonly [K in keyof Counts]: number },
  result: FileResult,
  names: StatusNames,
): void {
  if (result.notScanned) {
    counts.notScanned++;
    return;
  }
  counts.files++;
  if (result.status === names.CLEAN) counts.clean++;
  else if (result.status === names.INFECTED) counts.infected++;
  else if (result.status === names.UNSCANNABLE && result.unscannable) counts.unscannable++;
  else if (result.status === names.SKIPPED && result.error === undefined) counts.skipped++;
  else counts.errors++;
}

/** The summary of results held in a list (the streamed report counts as it goes instead). */
export function summarise(results: readonly FileResult[], names: StatusNames, durationMs: number): Summary {
  const counts = noCounts();
  for (const result of results) count(counts, result, names);
  return { ...counts, durationMs };
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
  if (summary.errors > 0 || summary.notScanned > 0) return EXIT_ERROR;
  if (summary.skipped > 0 || summary.unscannable > 0) return EXIT_ERROR;
  return EXIT_CLEAN;
}

/**
 * One line per result. The path and the error are escaped (src/util/printable.ts): a name holding
 * a newline, a carriage return or an escape sequence cannot end its line early or pose as
 * another file's verdict, and bytes that are not UTF-8 show as `\xNN`.
 */
export function formatResult(result: FileResult): string {
  const found = result.signature ? ` ${printable(result.signature)}` : '';
  const why = result.error ? ` (${printable(result.error)})` : unscannableNote(result);
  return `${printable(result.path)}: ${result.status}${found}${why} [${result.durationMs} ms]`;
}

/**
 * A result as JSON: `path` is text. A name that is not valid UTF-8 cannot be JSON text as it is:
 * its `path` is the name as the human report prints it (each such byte as `\xNN`, backslashes
 * doubled, see src/util/printable.ts) and `pathBase64` carries its exact bytes.
 */
export function jsonResult(result: FileResult): string {
  if (typeof result.path === 'string') return JSON.stringify(result);
  const { path: bytes, ...rest } = result;
  const text = isUtf8(bytes)
    ? { path: bytes.toString('utf8') }
    : { path: printable(bytes), pathBase64: bytes.toString('base64') };
  return JSON.stringify({ ...text, ...rest });
}

/** ` (not fully scanned: encrypted)` for a result that says clamd could not scan it completely, else nothing. */
export function unscannableNote(result: Parameters<typeof unscannableOfResult>[0]): string {
  const unscannable = unscannableOfResult(result);
  return unscannable ? ` (not fully scanned: ${describeUnscannable(unscannable)})` : '';
}

export function formatSummary(summary: Summary): string {
  return [
    '----------- SCAN SUMMARY -----------',
    ...(summary.interrupted ? ['Interrupted: the scan was stopped before every file was scanned'] : []),
    `Files scanned: ${summary.files}`,
    `Clean: ${summary.clean}`,
    `Infected: ${summary.infected}`,
    `Unscannable (not fully scanned): ${summary.unscannable}`,
    `Skipped (over the size limit): ${summary.skipped}`,
    `Errors: ${summary.errors}`,
    `Not scanned (directories not read, PATHs missing or not files): ${summary.notScanned}`,
    ...(summary.definitions ? [`Definitions: ${summary.definitions}`] : []),
    `Time: ${(summary.durationMs / 1000).toFixed(2)} s`,
  ].join('\n');
}

export interface ReportOptions {
  readonly json: boolean;
  readonly names: StatusNames;
  /** A count of files done on a terminal's standard error (never with --json). */
  readonly progress: boolean;
}

/** Lines leave in batches of about this many characters, or BATCH_DELAY_MS after the first. */
const BATCH_CHARS = 32 * 1024;
const BATCH_DELAY_MS = 100;

/**
 * The report of a scan, written as results come in: a line per file, or one JSON document
 * `{"results": [...], "summary": {...}}` streamed element by element. Only counts are kept, so a
 * scan of any number of files holds no list of results in memory. Lines leave in small batches
 * (a write per line costs about as much as scanning a small file), at most 0.1 s late.
 */
export class ScanReport {
  private readonly counts = noCounts();
  private readonly progress: Progress;
  private first = true;
  private batch: string[] = [];
  private batchChars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: CommandIo,
    private readonly options: ReportOptions,
  ) {
    this.progress = Progress.for(options.progress && !options.json);
    if (options.json) this.write('{"results": [');
  }

  async add(result: FileResult): Promise<void> {
    count(this.counts, result, this.options.names);
    if (this.options.json) {
      this.write(`${this.first ? '  ' : ', '}${jsonResult(result)}`);
      this.first = false;
    } else {
      this.write(formatResult(result));
    }
    if (this.batchChars >= BATCH_CHARS) {
      this.flush();
      await this.io.drained?.();
    }
  }

  /** Writes the summary (and closes the JSON document) and returns it. */
  finish(durationMs: number, extra: Partial<Summary> = {}): Summary {
    const summary: Summary = { ...this.counts, durationMs, ...extra };
    if (this.options.json) this.write(`],\n"summary": ${JSON.stringify(summary)}}`);
    else this.write(formatSummary(summary));
    this.flush();
    this.progress.clear();
    return summary;
  }

  private write(line: string): void {
    this.batch.push(line);
    this.batchChars += line.length + 1;
    this.timer ??= setTimeout(() => this.flush(), BATCH_DELAY_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    this.progress.clear();
    this.io.out(this.batch.join('\n'));
    this.batch = [];
    this.batchChars = 0;
    this.progress.show(this.counts.files);
  }
}

/** A count of files done, on a terminal's standard error only, redrawn after each batch of lines. */
class Progress {
  private visible = false;

  private constructor(private readonly stream: NodeJS.WriteStream | undefined) {}

  static for(enabled: boolean): Progress {
    return new Progress(enabled && process.stderr.isTTY ? process.stderr : undefined);
  }

  show(done: number): void {
    if (!this.stream) return;
    this.visible = true;
    this.stream.write(`\r\x1b[K[${done} files scanned]`);
  }

  clear(): void {
    if (this.stream && this.visible) this.stream.write('\r\x1b[K');
    this.visible = false;
  }
}
