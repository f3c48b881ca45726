import type { Config } from '../config';
import { type FileScanWorker, LocalFileScanner } from '../local-scan/file-scanner';
import { chooseWorkRoot } from '../local-scan/work-area';
import { statusName } from '../scan/status-name';
import { unscannableFields } from '../scan/unscannable';
import { forEachPulled } from '../util/limit';
import type { WalkEntry } from './file-walk';
import type { FileResult, ScanReport } from './report';
import { notScannedResult } from './scan-result';

export interface LocalScanOptions {
  readonly entries: AsyncIterator<WalkEntry>;
  readonly definitionsDir: string;
  readonly config: Config;
  /** LAMBDA_AV_TMPDIR, when set: where clamd's work area goes. */
  readonly workRoot: string | undefined;
  readonly concurrency: number;
  readonly report: ScanReport;
  readonly signal: AbortSignal | undefined;
}

export interface ScanRun {
  readonly definitions: string | undefined;
  readonly interrupted: boolean;
}

/**
 * `lambda-av scan PATH...`: every file streamed straight into a warm clamd through the scanner
 * Lambda's engine and verdict rules, `concurrency` clamd sessions at once. Ctrl-C stops clamd and
 * removes the work area before the command ends.
 */
export async function scanFilesLocally(options: LocalScanOptions): Promise<ScanRun> {
  const { config, signal, report } = options;
  let interrupted = signal?.aborted ?? false;
  let scanner: LocalFileScanner | undefined;
  const stop = () => {
    interrupted = true;
    // Stopping clamd ends the scans in flight at once; their outcomes are not reported.
    void scanner?.stop();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    scanner = await LocalFileScanner.start({
      definitionsDir: options.definitionsDir,
      config,
      // Room for a stream copy per session: clamd writes each stream to a file before scanning it.
      workRoot: chooseWorkRoot(options.workRoot, options.concurrency * config.maxFileSize),
    });
    if (interrupted) return { definitions: scanner.definitions, interrupted };
    const workers: FileScanWorker[] = [];
    const free = () => workers.pop() ?? (scanner as LocalFileScanner).worker();
    await forEachPulled(
      options.entries,
      options.concurrency,
      async (entry) => {
        const startedAt = performance.now();
        const worker = free();
        try {
          const result = await scanEntry(worker, entry, config, startedAt);
          if (!interrupted) await report.add(result);
        } finally {
          workers.push(worker);
        }
      },
      () => interrupted,
    );
    return { definitions: scanner.definitions, interrupted };
  } finally {
    signal?.removeEventListener('abort', stop);
    await options.entries.return?.();
    await scanner?.stop();
  }
}

async function scanEntry(
  worker: FileScanWorker,
  entry: WalkEntry,
  config: Config,
  startedAt: number,
): Promise<FileResult> {
  if (entry.kind === 'not-scanned') return notScannedResult(entry, config.statusNames.PROCESSING_ERROR);
  const outcome = await worker.scan(entry.path);
  return {
    path: entry.path,
    status: statusName(config.statusNames, config.unscannablePolicy, outcome.verdict),
    ...(outcome.signature ? { signature: outcome.signature } : {}),
    ...(outcome.unscannable ? unscannableFields(outcome.unscannable) : {}),
    durationMs: Math.round(performance.now() - startedAt),
    ...(outcome.error ? { error: `${outcome.error.name}: ${outcome.error.message}` } : {}),
  };
}
