import { Duration } from 'aws-cdk-lib';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from '../src/bulk/request';
import type { LambdaAvProps } from './lambda-av-props';
import { checkInteger, LambdaAvPropsError, quote } from './validation';

export interface BulkSettings {
  readonly maxConcurrency: number;
  readonly batchSize: number;
  readonly reportRetention: Duration;
  /** The rescans' window as an ISO 8601 duration (P30D), if any. */
  readonly rescanWindow: string | undefined;
}

/** Bulk batches at once without `reservedConcurrency` (LambdaAvProps.bulkScan.maxConcurrency). */
export const UNRESERVED_BULK_CONCURRENCY = 2;

/** Bulk scans' limits. Their cap leaves upload scans the instances reserved or provisioned for them. */
export function resolveBulk(props: LambdaAvProps): BulkSettings {
  const options = props.bulkScan ?? {};
  const batchSize = checkInteger(
    'bulkScan.batchSize',
    options.batchSize ?? DEFAULT_BATCH_SIZE,
    1,
    MAX_BATCH_SIZE,
  );
  const reserved = props.reservedConcurrency;
  const uploads = Math.max(1, props.provisionedConcurrency ?? 0);
  const room = reserved === undefined ? 10_000 : reserved - uploads;
  if (room < 1) {
    throw new LambdaAvPropsError(
      `reservedConcurrency (${reserved}) leaves bulk scans no instance once upload scans have their ${uploads}: raise it`,
    );
  }
  // Without a reserved pool, bulk batches take from the account's unreserved concurrency, which
  // every function shares and which a new account may have only 10 of.
  const fallback =
    reserved === undefined
      ? UNRESERVED_BULK_CONCURRENCY
      : Math.min(room, Math.max(1, Math.floor(reserved / 2)));
  const maxConcurrency = checkInteger(
    'bulkScan.maxConcurrency',
    options.maxConcurrency ?? fallback,
    1,
    10_000,
  );
  if (maxConcurrency > room) {
    throw new LambdaAvPropsError(
      `bulkScan.maxConcurrency (${maxConcurrency}) must leave upload scans ${uploads} of reservedConcurrency (${reserved}): at most ${room}`,
    );
  }
  const reportRetention = options.reportRetention ?? Duration.days(90);
  checkInteger('bulkScan.reportRetention (whole days)', reportRetention.toDays({ integral: false }), 1, 3650);
  const window = options.rescanAfterUpdate?.window;
  let rescanWindow: string | undefined;
  if (window !== undefined) {
    const minutes = checkInteger(
      'bulkScan.rescanAfterUpdate.window (whole minutes)',
      window.toMinutes({ integral: false }),
      1,
      10 * 365 * 1440,
    );
    rescanWindow =
      minutes % 1440 === 0
        ? `P${minutes / 1440}D`
        : minutes % 60 === 0
          ? `PT${minutes / 60}H`
          : `PT${minutes}M`;
  }
  for (const [i, target] of (options.rescanAfterUpdate?.targets ?? []).entries()) {
    if ([...(target.prefix ?? '')].some((c) => c.charCodeAt(0) < 32)) {
      throw new LambdaAvPropsError(
        `bulkScan.rescanAfterUpdate.targets[${i}].prefix must not hold control characters, got ${quote(target.prefix ?? '')}`,
      );
    }
  }
  return { maxConcurrency, batchSize, reportRetention, rescanWindow };
}
