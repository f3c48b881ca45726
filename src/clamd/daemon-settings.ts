import type { Config } from '../config';
import { defaultMaxScanSize, maxScanTimeFor } from './clamd-conf';
import type { ClamdDaemonOptions } from './daemon';

/**
 * clamd's options from the configuration: the scanner Lambda and local scans on a workstation
 * start clamd with exactly these, so both apply the same limits (see clamd-conf.ts) to content.
 */
export function daemonOptionsFor(
  config: Pick<Config, 'clamavBinDir' | 'maxFileSize' | 'daemonStartTimeoutMs' | 'scanTimeoutMs'>,
  workDir: string,
  databaseDir: string,
  diesWithParent = false,
): ClamdDaemonOptions {
  return {
    workDir,
    databaseDir,
    binDir: config.clamavBinDir,
    maxFileSize: config.maxFileSize,
    maxScanSize: defaultMaxScanSize(config.maxFileSize),
    maxScanTimeMs: maxScanTimeFor(config.scanTimeoutMs),
    startTimeoutMs: config.daemonStartTimeoutMs,
    diesWithParent,
  };
}
