import { defaultMaxScanSize } from '../src/clamd/clamd-conf';

const MIB = 1024 * 1024;

/**
 * Room for two definitions sets side by side: a warm scanner downloads a newer set beside the
 * one clamd has loaded and switches over (unchanged files are hard-linked, but a full new set
 * must fit). ClamAV's official set (main, daily, bytecode) takes about 250 MB on disk, so
 * 512 MiB per set leaves room for its growth and for custom databases.
 */
export const DEFINITIONS_STORAGE_MIB = 1024;

/** clamd's configuration and socket, the policy database, logs and safety margin. */
export const STORAGE_HEADROOM_MIB = 512;

/** Lambda's bounds for /tmp. */
export const MIN_EPHEMERAL_MIB = 512;
export const MAX_EPHEMERAL_MIB = 10_240;

export interface ScannerStorage {
  readonly definitionsMib: number;
  /** clamd spools an INSTREAM into a temporary file before scanning it: up to MAX_FILE_SIZE. */
  readonly streamSpoolMib: number;
  /** Archive members clamd extracts to its temporary directory: up to MaxScanSize. */
  readonly extractionMib: number;
  readonly headroomMib: number;
  readonly totalMib: number;
}

/**
 * The scanner's /tmp, from the largest object it accepts: the definitions (two sets during a
 * refresh), the object spooled by clamd (MAX_FILE_SIZE), the members clamd extracts from it
 * (MaxScanSize = 4 x MAX_FILE_SIZE, capped below 2 GiB, as `defaultMaxScanSize` configures clamd),
 * and headroom. One invocation runs per instance, so one scan at a time.
 *
 * Default MAX_FILE_SIZE 300 MiB: 1024 + 300 + 1200 + 512 = 3036 MiB.
 */
export function scannerStorage(maxFileSize: number): ScannerStorage {
  const maxScanSize = Math.max(defaultMaxScanSize(maxFileSize), maxFileSize);
  const streamSpoolMib = Math.ceil(maxFileSize / MIB);
  const extractionMib = Math.ceil(maxScanSize / MIB);
  const total = DEFINITIONS_STORAGE_MIB + streamSpoolMib + extractionMib + STORAGE_HEADROOM_MIB;
  return {
    definitionsMib: DEFINITIONS_STORAGE_MIB,
    streamSpoolMib,
    extractionMib,
    headroomMib: STORAGE_HEADROOM_MIB,
    totalMib: Math.min(MAX_EPHEMERAL_MIB, Math.max(MIN_EPHEMERAL_MIB, total)),
  };
}
