import path from 'node:path';
import { Duration, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import {
  CLAMAV_MAX_FILE_SIZE,
  DEFAULT_MAX_FILE_SIZE,
  OFFICIAL_DATABASES,
  type OfficialDatabase,
} from '../src/config';
import { IMPORT_PREFIX } from '../src/definitions/manifest';
import { SCAN_DEFINITION_FILE, taskTimeoutSeconds, UPDATE_DEFINITION_FILE } from './asl-definition';
import { type Budgets, checkFits, resolveBudgets, scannerBudget, updaterBudget, withMargin } from './budgets';
import { MAX_EPHEMERAL_MIB, MIN_EPHEMERAL_MIB, scannerStorage } from './ephemeral-storage';
import type { LambdaAvProps } from './lambda-av-props';
import type { ProcessingErrorThreshold } from './monitoring';
import {
  checkInteger,
  checkPrefix,
  checkTagKey,
  checkTagValue,
  checkUrl,
  LambdaAvPropsError,
  quote,
} from './validation';

export const DEFAULT_PREFIX = 'av-definitions';

/** The props checked and with their defaults filled in. */
export interface Settings {
  readonly prefix: string;
  readonly maxFileSize: number;
  readonly scannerMemorySize: number;
  readonly scannerEphemeralStorage: Size;
  readonly updaterMemorySize: number;
  readonly updaterEphemeralStorage: Size;
  readonly warmConcurrency: number;
  readonly warmerInterval: Duration;
  readonly definitionsCheckSeconds: number;
  readonly updateInterval: Duration;
  readonly customDatabaseUrls: readonly string[];
  readonly officialDatabases: readonly OfficialDatabase[];
  readonly definitionsAgeThreshold: Duration;
  readonly scanLatencyThreshold: Duration;
  readonly canaryLatencyThreshold: Duration;
  readonly processingErrorThreshold: ProcessingErrorThreshold;
  readonly budgets: Budgets;
  readonly scannerTimeout: Duration;
  readonly updaterTimeout: Duration;
}

/**
 * Checks every prop before anything is created, so a wrong value fails `cdk synth` with the
 * prop's name and the value received, and fills in the defaults.
 */
export function resolveSettings(props: LambdaAvProps): Settings {
  const prefix = checkPrefix('definitionsPrefix', props.definitionsPrefix ?? DEFAULT_PREFIX);
  if (prefix === IMPORT_PREFIX || prefix.startsWith(`${IMPORT_PREFIX}/`)) {
    throw new LambdaAvPropsError(
      `definitionsPrefix must not be ${quote(IMPORT_PREFIX)} or under it: that is where lambda-av definitions publish stages files, got ${quote(prefix)}`,
    );
  }
  const maxFileSize = checkInteger(
    'maxFileSize',
    props.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    1,
    CLAMAV_MAX_FILE_SIZE,
  );
  const scannerMemorySize = checkInteger('scannerMemorySize', props.scannerMemorySize ?? 2048, 128, 10_240);
  const updaterMemorySize = checkInteger('updaterMemorySize', props.updaterMemorySize ?? 2048, 128, 10_240);
  const budgets = resolveBudgets({
    definitionsDownload: props.definitionsDownloadTimeout,
    daemonStart: props.daemonStartTimeout,
    scan: props.scanTimeout,
    freshclam: props.freshclamTimeout,
    verify: props.verifyTimeout,
  });
  const scannerTimeout = functionTimeout('scannerTimeout', props.scannerTimeout, scannerBudget(budgets), {
    definitionsDownloadTimeout: budgets.definitionsDownload,
    daemonStartTimeout: budgets.daemonStart,
    scanTimeout: budgets.scan,
  });
  const updaterTimeout = functionTimeout('updaterTimeout', props.updaterTimeout, updaterBudget(budgets), {
    'definitionsDownloadTimeout (restore)': budgets.definitionsDownload,
    freshclamTimeout: budgets.freshclam,
    verifyTimeout: budgets.verify,
    'definitionsDownloadTimeout (publish)': budgets.definitionsDownload,
  });
  // The state machine's task must outwait the function, or it gives up on a scan still running.
  for (const [name, timeout, file, state] of [
    ['scannerTimeout', scannerTimeout, SCAN_DEFINITION_FILE, 'Scan'],
    ['updaterTimeout', updaterTimeout, UPDATE_DEFINITION_FILE, 'UpdateDefinitions'],
  ] as const) {
    const limit = taskTimeoutSeconds(file, state);
    if (timeout.toSeconds({ integral: false }) >= limit) {
      throw new LambdaAvPropsError(
        `${name} (${timeout.toSeconds({ integral: false })} s) must be shorter than the ${state} task's TimeoutSeconds (${limit} s in statemachine/${path.basename(file)})`,
      );
    }
  }

  const storage = scannerStorage(maxFileSize);
  const scannerEphemeralStorage = props.scannerEphemeralStorageSize ?? Size.mebibytes(storage.totalMib);
  checkStorage('scannerEphemeralStorageSize', scannerEphemeralStorage);
  const updaterEphemeralStorage = props.updaterEphemeralStorageSize ?? Size.mebibytes(2048);
  checkStorage('updaterEphemeralStorageSize', updaterEphemeralStorage);

  if (props.reservedConcurrency !== undefined) {
    checkInteger('reservedConcurrency', props.reservedConcurrency, 1, 10_000);
  }
  if (props.provisionedConcurrency !== undefined) {
    checkInteger('provisionedConcurrency', props.provisionedConcurrency, 1, 10_000);
    if (props.reservedConcurrency !== undefined && props.provisionedConcurrency > props.reservedConcurrency) {
      throw new LambdaAvPropsError(
        `provisionedConcurrency (${props.provisionedConcurrency}) cannot exceed reservedConcurrency (${props.reservedConcurrency})`,
      );
    }
  }
  const warmConcurrency = checkInteger('warmConcurrency', props.warmConcurrency ?? 1, 1, 100);
  if (props.reservedConcurrency !== undefined && warmConcurrency > props.reservedConcurrency) {
    throw new LambdaAvPropsError(
      `warmConcurrency (${warmConcurrency}) cannot exceed reservedConcurrency (${props.reservedConcurrency}): the fan-out would be throttled`,
    );
  }
  const warmerInterval = props.warmerInterval ?? Duration.minutes(5);
  checkWholeMinutes('warmerInterval', warmerInterval, 1, 60);
  const definitionsCheck = props.definitionsCheckInterval ?? Duration.minutes(5);
  const definitionsCheckSeconds = checkInteger(
    'definitionsCheckInterval (seconds)',
    definitionsCheck.toSeconds(),
    0,
    86_400,
  );

  const officialDatabases = props.officialDatabases ?? OFFICIAL_DATABASES;
  for (const name of officialDatabases) {
    if (!(OFFICIAL_DATABASES as readonly string[]).includes(name)) {
      throw new LambdaAvPropsError(
        `officialDatabases may list ${OFFICIAL_DATABASES.join(', ')}; got ${quote(name)}`,
      );
    }
  }
  if (props.mirrorUrl !== undefined) checkUrl('mirrorUrl', props.mirrorUrl, ['http:', 'https:']);
  const customDatabaseUrls = props.customDatabaseUrls ?? [];
  customDatabaseUrls.forEach((url, i) => {
    checkUrl(`customDatabaseUrls[${i}]`, url, ['http:', 'https:']);
  });
  if (officialDatabases.length === 0 && customDatabaseUrls.length === 0) {
    throw new LambdaAvPropsError(
      'officialDatabases is empty and no customDatabaseUrls are given: the updater would fetch nothing',
    );
  }

  const updateInterval = props.updateInterval ?? Duration.hours(3);
  // ClamAV's CDN rate-limits clients that check more often than hourly; a private mirror is yours.
  const minUpdateMinutes = props.mirrorUrl === undefined && officialDatabases.length > 0 ? 60 : 5;
  checkWholeMinutes('updateInterval', updateInterval, minUpdateMinutes, 24 * 60);
  const definitionsAgeThreshold = props.definitionsAgeThreshold ?? Duration.hours(24);
  if (definitionsAgeThreshold.toMinutes({ integral: false }) <= updateInterval.toMinutes()) {
    throw new LambdaAvPropsError(
      `definitionsAgeThreshold (${definitionsAgeThreshold.toHumanString()}) must be longer than updateInterval (${updateInterval.toHumanString()}), or the alarm fires between two updates`,
    );
  }
  checkInteger(
    'definitionsAgeThreshold (whole hours)',
    definitionsAgeThreshold.toHours({ integral: false }),
    1,
    24 * 365,
  );
  const scanLatencyThreshold = props.scanLatencyThreshold ?? Duration.seconds(60);
  checkInteger('scanLatencyThreshold (ms)', scanLatencyThreshold.toMilliseconds(), 1, 15 * 60 * 1000);
  const canaryLatencyThreshold = props.canaryLatencyThreshold ?? Duration.minutes(2);
  checkInteger('canaryLatencyThreshold (ms)', canaryLatencyThreshold.toMilliseconds(), 1, 60 * 60 * 1000);
  const processingErrorThreshold = checkProcessingErrorThreshold(
    props.processingErrorThreshold ?? { percent: 5 },
  );

  const statusValues = props.statusValues ?? {};
  for (const [key, value] of Object.entries(statusValues)) {
    if (value !== undefined) checkTagValue(`statusValues.${key}`, value);
  }
  if (props.statusTagKey !== undefined) checkTagKey('statusTagKey', props.statusTagKey);
  if (props.timestampTagKey !== undefined) checkTagKey('timestampTagKey', props.timestampTagKey);

  return {
    prefix,
    maxFileSize,
    scannerMemorySize,
    scannerEphemeralStorage,
    updaterMemorySize,
    updaterEphemeralStorage,
    warmConcurrency,
    warmerInterval,
    definitionsCheckSeconds,
    updateInterval,
    customDatabaseUrls,
    officialDatabases,
    definitionsAgeThreshold,
    scanLatencyThreshold,
    canaryLatencyThreshold,
    processingErrorThreshold,
    budgets,
    scannerTimeout,
    updaterTimeout,
  };
}

/**
 * A function's timeout: the one given, checked to hold the function's steps with margin, or by
 * default those steps with margin in whole minutes (at most Lambda's 15).
 */
function functionTimeout(
  name: string,
  given: Duration | undefined,
  total: Duration,
  steps: Record<string, Duration>,
): Duration {
  const timeout = given ?? Duration.minutes(Math.min(15, Math.ceil(withMargin(total).toSeconds() / 60)));
  checkTimeout(name, timeout);
  checkFits(name, timeout, steps, total);
  return timeout;
}

function checkTimeout(name: string, timeout: Duration): void {
  checkInteger(`${name} (seconds)`, timeout.toSeconds({ integral: false }), 1, 900);
}

function checkStorage(name: string, size: Size): void {
  checkInteger(
    `${name} (MiB)`,
    size.toMebibytes({ rounding: SizeRoundingBehavior.NONE }),
    MIN_EPHEMERAL_MIB,
    MAX_EPHEMERAL_MIB,
  );
}

function checkWholeMinutes(name: string, interval: Duration, min: number, max: number): void {
  checkInteger(`${name} (whole minutes)`, interval.toMinutes({ integral: false }), min, max);
}

function checkProcessingErrorThreshold(threshold: ProcessingErrorThreshold): ProcessingErrorThreshold {
  const given = threshold as { percent?: unknown; count?: unknown };
  if ((given.percent === undefined) === (given.count === undefined)) {
    throw new LambdaAvPropsError(
      `processingErrorThreshold must give either percent or count, got ${quote(JSON.stringify(threshold))}`,
    );
  }
  if ('percent' in threshold) checkInteger('processingErrorThreshold.percent', threshold.percent, 1, 100);
  else checkInteger('processingErrorThreshold.count', threshold.count, 1, 100_000);
  return threshold;
}
