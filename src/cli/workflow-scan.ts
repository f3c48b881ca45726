import { LocalStack } from '../local/stack';
import { forEachPulled } from '../util/limit';
import { printable } from '../util/printable';
import type { WalkEntry } from './file-walk';
import type { ScanRun } from './local-scan';
import type { FileResult, ScanReport } from './report';
import { failedResult, notScannedResult, resultOf } from './scan-result';

export interface WorkflowScanOptions {
  readonly entries: AsyncIterator<WalkEntry>;
  readonly definitionsDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly concurrency: number;
  readonly report: ScanReport;
  readonly signal: AbortSignal | undefined;
  /** The configured name of PROCESSING_ERROR. */
  readonly processingError: string;
}

/**
 * `lambda-av scan --workflow PATH...`: each file is uploaded to the embedded S3-compatible server
 * and scanned by the scan state machine, executed locally with the scanner Lambda's handler, as
 * in AWS. Slower than the direct path, and the same verdicts.
 */
export async function scanFilesThroughWorkflow(options: WorkflowScanOptions): Promise<ScanRun> {
  const { signal, report } = options;
  let interrupted = signal?.aborted ?? false;
  const executions = new AbortController();
  const stop = () => {
    interrupted = true;
    executions.abort();
  };
  signal?.addEventListener('abort', stop, { once: true });
  let stack: LocalStack | undefined;
  try {
    stack = await LocalStack.start({
      definitions: { replaceWith: options.definitionsDir },
      env: options.env,
    });
    let index = 0;
    await forEachPulled(
      options.entries,
      options.concurrency,
      async (entry) => {
        const startedAt = performance.now();
        let result: FileResult;
        if (entry.kind === 'not-scanned') {
          result = notScannedResult(entry, options.processingError);
        } else {
          // An S3 key is UTF-8 text: a name that is not gets its printed form (\xNN for such bytes).
          const key = `f${index++}/${printable(baseName(entry.path))}`;
          try {
            const scan = await (stack as LocalStack).scanFile(key, entry.path, executions.signal);
            result = resultOf(entry.path, scan.result, startedAt);
          } catch (error) {
            result = failedResult(entry.path, error, startedAt, options.processingError);
          }
        }
        if (!interrupted) await report.add(result);
      },
      () => interrupted,
    );
    return { definitions: stack.definitions, interrupted };
  } finally {
    signal?.removeEventListener('abort', stop);
    await options.entries.return?.();
    await stack?.stop();
  }
}

/** The last part of a path, as bytes. */
function baseName(file: Buffer): Buffer {
  return file.subarray(file.lastIndexOf(0x2f) + 1);
}
