import { unscannableFields, unscannableOfResult } from '../scan/unscannable';
import type { WalkEntry } from './file-walk';
import type { FileResult } from './report';

/** A scan result (the Lambda's, or an execution's output) as one line of the report. */
export function resultOf(
  where: string | Buffer,
  result: {
    status: string;
    signature?: string;
    error?: string;
    reason?: string;
    unscannable?: true;
    limit?: string;
  },
  startedAt: number,
): FileResult {
  const unscannable = unscannableOfResult(result);
  return {
    path: where,
    status: result.status,
    ...(result.signature ? { signature: result.signature } : {}),
    ...(unscannable ? unscannableFields(unscannable) : {}),
    durationMs: Math.round(performance.now() - startedAt),
    ...(result.error ? { error: `${result.error}: ${result.reason ?? ''}`.trim() } : {}),
  };
}

/** A directory that could not be read, or a PATH argument that is missing or not a file. */
export function notScannedResult(
  entry: Extract<WalkEntry, { kind: 'not-scanned' }>,
  status: string,
): FileResult {
  return {
    path: entry.path,
    status,
    notScanned: entry.what,
    durationMs: 0,
    error: entry.what === 'directory' ? `cannot read the directory: ${entry.reason}` : entry.reason,
  };
}

/** A file or object that could not be scanned at all: `status` is PROCESSING_ERROR's configured name. */
export function failedResult(
  where: string | Buffer,
  error: unknown,
  startedAt: number,
  status: string,
): FileResult {
  const failure = error instanceof Error ? error : new Error(String(error));
  return {
    path: where,
    status,
    durationMs: Math.round(performance.now() - startedAt),
    error: `${failure.name}: ${failure.message}`,
  };
}
