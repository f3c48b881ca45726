import path from 'node:path';
import { Duration, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import { DEFAULT_RETRY_BUDGET_SECONDS } from '../src/asl/retry-budget';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from '../src/bulk/request';
import { IMPORT_PREFIX } from '../src/definitions/location';
import {
  DEFAULT_STATUS_NAMES,
  OFFICIAL_DATABASES,
  type OfficialDatabase,
  type ReloadStrategyChoice,
  SETTINGS,
  type StatusNames,
  statusNamesOf,
  UNSCANNABLE_POLICIES,
  type UnscannablePolicy,
} from '../src/settings';
import {
  SCAN_DEFINITION_FILE,
  SCAN_EXPRESS_DEFINITION_FILE,
  taskTimeoutSeconds,
  UPDATE_DEFINITION_FILE,
} from './asl-definition';
import { worstCaseOfFile } from './asl-timing';
import {
  type Budgets,
  checkFits,
  EXPRESS_BUDGETS_MS,
  resolveBudgets,
  scannerBudget,
  updaterBudget,
  withMargin,
} from './budgets';
import { MAX_EPHEMERAL_MIB, MIN_EPHEMERAL_MIB, scannerStorage } from './ephemeral-storage';
import type { LambdaAvProps, StatusValues, WorkflowType } from './lambda-av-props';
import type { ProcessingErrorThreshold } from './monitoring';
import { resolveSweep, type SweepSettings } from './sweep-settings';
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
  /** CLAMD_RELOAD_STRATEGY. */
  readonly reloadStrategy: ReloadStrategyChoice;
  readonly updateInterval: Duration;
  readonly customDatabaseUrls: readonly string[];
  readonly officialDatabases: readonly OfficialDatabase[];
  readonly definitionsAgeThreshold: Duration;
  readonly scanLatencyThreshold: Duration;
  readonly canaryLatencyThreshold: Duration;
  readonly processingErrorThreshold: ProcessingErrorThreshold;
  /** The status names the scanner writes and the updater judges the canary by (FILE_STATUS_*). */
  readonly statusNames: StatusNames;
  readonly unscannablePolicy: UnscannablePolicy;
  readonly unscannableAlarmThreshold: number | undefined;
  readonly budgets: Budgets;
  readonly scannerTimeout: Duration;
  readonly updaterTimeout: Duration;
  readonly workflowType: WorkflowType;
  readonly scanDefinitionFile: string;
  /** The scan's budget for errors that say nothing about the object (throttling, starting). */
  readonly retryBudget: Duration;
  readonly statusTagKey: string;
  readonly timestampTagKey: string;
  readonly quarantineRetention: Duration;
  /** With Express: the queue whose redeliveries carry the retries. */
  readonly expressQueue?: ExpressQueueSettings;
  readonly bulk: BulkSettings;
  /** The scheduled sweep, unless turned off. */
  readonly sweep: SweepSettings | undefined;
}

export interface BulkSettings {
  readonly maxConcurrency: number;
  readonly batchSize: number;
  readonly reportRetention: Duration;
  /** The rescans' window as an ISO 8601 duration (P30D), if any. */
  readonly rescanWindow: string | undefined;
}

export interface ExpressQueueSettings {
  readonly visibilityTimeout: Duration;
  /** Deliveries of one upload's event, the last one tagging PROCESSING_ERROR if it fails too. */
  readonly maxReceiveCount: number;
  readonly retryBudget: Duration;
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
  const maxFileSize = checkSetting('maxFileSize', props.maxFileSize, 'MAX_FILE_SIZE');
  const scannerMemorySize = checkInteger('scannerMemorySize', props.scannerMemorySize ?? 2048, 128, 10_240);
  const updaterMemorySize = checkInteger('updaterMemorySize', props.updaterMemorySize ?? 2048, 128, 10_240);
  const workflowType = props.workflowType ?? 'STANDARD';
  if (workflowType !== 'STANDARD' && workflowType !== 'EXPRESS') {
    throw new LambdaAvPropsError(`workflowType must be STANDARD or EXPRESS, got ${quote(workflowType)}`);
  }
  const express = workflowType === 'EXPRESS';
  const scanDefinitionFile = express ? SCAN_EXPRESS_DEFINITION_FILE : SCAN_DEFINITION_FILE;
  const budgets = resolveBudgets(
    {
      definitionsDownload: props.definitionsDownloadTimeout,
      daemonStart: props.daemonStartTimeout,
      scan: props.scanTimeout,
      freshclam: props.freshclamTimeout,
      verify: props.verifyTimeout,
    },
    express ? EXPRESS_BUDGETS_MS : {},
  );
  const scannerTimeout = functionTimeout(
    'scannerTimeout',
    props.scannerTimeout,
    scannerBudget(budgets),
    {
      definitionsDownloadTimeout: budgets.definitionsDownload,
      daemonStartTimeout: budgets.daemonStart,
      scanTimeout: budgets.scan,
    },
    // Inside Express's 5 minutes every second counts: round to 10 s, not to whole minutes.
    express ? 10 : 60,
  );
  const updaterTimeout = functionTimeout('updaterTimeout', props.updaterTimeout, updaterBudget(budgets), {
    'definitionsDownloadTimeout (restore)': budgets.definitionsDownload,
    freshclamTimeout: budgets.freshclam,
    verifyTimeout: budgets.verify,
    'definitionsDownloadTimeout (publish)': budgets.definitionsDownload,
  });
  // The state machine's task must outwait the function, or it gives up on a scan still running.
  for (const [name, timeout, file, state] of [
    ['scannerTimeout', scannerTimeout, scanDefinitionFile, 'Scan'],
    ['updaterTimeout', updaterTimeout, UPDATE_DEFINITION_FILE, 'UpdateDefinitions'],
  ] as const) {
    const limit = taskTimeoutSeconds(file, state);
    if (timeout.toSeconds({ integral: false }) >= limit) {
      throw new LambdaAvPropsError(
        `${name} (${timeout.toSeconds({ integral: false })} s) must be shorter than the ${state} task's TimeoutSeconds (${limit} s in statemachine/${path.basename(file)})`,
      );
    }
  }

  const retryBudget = props.retryBudget ?? Duration.seconds(DEFAULT_RETRY_BUDGET_SECONDS);
  checkInteger('retryBudget (seconds)', retryBudget.toSeconds({ integral: false }), 60, 24 * 3600);
  const queue = express ? expressQueue(retryBudget) : undefined;

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
  const warmConcurrency = checkSetting('warmConcurrency', props.warmConcurrency, 'WARM_CONCURRENCY');
  if (props.reservedConcurrency !== undefined && warmConcurrency > props.reservedConcurrency) {
    throw new LambdaAvPropsError(
      `warmConcurrency (${warmConcurrency}) cannot exceed reservedConcurrency (${props.reservedConcurrency}): the fan-out would be throttled`,
    );
  }
  const warmerInterval = props.warmerInterval ?? Duration.minutes(5);
  checkWholeMinutes('warmerInterval', warmerInterval, 1, 60);
  const definitionsCheckSeconds = checkSetting(
    'definitionsCheckInterval (seconds)',
    props.definitionsCheckInterval?.toSeconds(),
    'DEFINITIONS_CHECK_INTERVAL',
  );
  const reloadStrategy = props.reloadStrategy ?? SETTINGS.CLAMD_RELOAD_STRATEGY.default;

  const officialDatabases = props.officialDatabases ?? OFFICIAL_DATABASES;
  const urls = SETTINGS.CLAMAV_CUSTOM_DATABASE_URLS.deployedProtocols;
  for (const name of officialDatabases) {
    if (!(OFFICIAL_DATABASES as readonly string[]).includes(name)) {
      throw new LambdaAvPropsError(
        `officialDatabases may list ${OFFICIAL_DATABASES.join(', ')}; got ${quote(name)}`,
      );
    }
  }
  if (props.mirrorUrl !== undefined) {
    checkUrl('mirrorUrl', props.mirrorUrl, SETTINGS.CLAMAV_MIRROR_URL.protocols);
  }
  const customDatabaseUrls = props.customDatabaseUrls ?? [];
  customDatabaseUrls.forEach((url, i) => {
    checkUrl(`customDatabaseUrls[${i}]`, url, urls);
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

  const preset = resolveTagPreset(props);
  const statusNames = resolveStatusNames(preset?.statusValues ?? props.statusValues ?? {});
  const quarantineRetention = props.quarantineRetention ?? Duration.days(90);
  checkInteger('quarantineRetention (whole days)', quarantineRetention.toDays({ integral: false }), 1, 3650);
  const unscannablePolicy = props.unscannablePolicy ?? SETTINGS.UNSCANNABLE_POLICY.default;
  if (!(UNSCANNABLE_POLICIES as readonly string[]).includes(unscannablePolicy)) {
    throw new LambdaAvPropsError(
      `unscannablePolicy must be one of ${UNSCANNABLE_POLICIES.join(', ')}, got ${quote(unscannablePolicy)}`,
    );
  }
  const unscannableAlarmThreshold =
    props.unscannableAlarmThreshold === undefined
      ? undefined
      : checkInteger('unscannableAlarmThreshold', props.unscannableAlarmThreshold, 1, 100_000);
  const statusTagKey =
    preset?.statusTagKey ??
    checkTagKey('statusTagKey', props.statusTagKey ?? SETTINGS.METADATA_FILE_STATUS.default);
  const timestampTagKey = checkTagKey(
    'timestampTagKey',
    props.timestampTagKey ?? SETTINGS.METADATA_FILE_TIMESTAMP.default,
  );
  if (statusTagKey === timestampTagKey) {
    throw new LambdaAvPropsError(
      `statusTagKey and timestampTagKey must differ: both are ${quote(statusTagKey)}`,
    );
  }

  const bulk = resolveBulk(props);
  const sweep = resolveSweep(props.sweep, {
    retryBudget,
    ...(queue ? { expressQueue: queue } : {}),
    scannerTimeout,
  });

  return {
    bulk,
    sweep,
    prefix,
    maxFileSize,
    scannerMemorySize,
    scannerEphemeralStorage,
    updaterMemorySize,
    updaterEphemeralStorage,
    warmConcurrency,
    warmerInterval,
    definitionsCheckSeconds,
    reloadStrategy,
    updateInterval,
    customDatabaseUrls,
    officialDatabases,
    definitionsAgeThreshold,
    scanLatencyThreshold,
    canaryLatencyThreshold,
    processingErrorThreshold,
    statusNames,
    statusTagKey,
    timestampTagKey,
    unscannablePolicy,
    unscannableAlarmThreshold,
    quarantineRetention,
    budgets,
    scannerTimeout,
    updaterTimeout,
    workflowType,
    scanDefinitionFile,
    retryBudget,
    ...(queue ? { expressQueue: queue } : {}),
  };
}

/**
 * What the scan state machine logs to CloudWatch Logs (always with execution data). A Standard
 * execution keeps its whole history in Step Functions, where the console and `lambda-av history`
 * read it: its log gets the failures. An Express execution has no history but its log: every
 * event, which the console reads.
 */
export const SCAN_LOG_LEVEL: Readonly<Record<WorkflowType, 'ALL' | 'ERROR'>> = {
  STANDARD: 'ERROR',
  EXPRESS: 'ALL',
};

/** Express's own limit on an execution's duration. */
export const EXPRESS_DURATION_LIMIT = Duration.minutes(5);

/**
 * The queue in front of an Express scan machine: its visibility timeout outlasts an execution
 * (the message is redelivered only once its execution has surely ended), and its deliveries span
 * the retry budget. The Express definition must end within 5 minutes on every path, or an upload
 * could time out untagged: checked here, from the definition's own timeouts and retries.
 */
function expressQueue(retryBudget: Duration): ExpressQueueSettings {
  const worst = worstCaseOfFile(SCAN_EXPRESS_DEFINITION_FILE);
  const limit = EXPRESS_DURATION_LIMIT.toSeconds() - 10;
  if (worst.seconds > limit) {
    throw new LambdaAvPropsError(
      `statemachine/scan-express.asl.json can run ${worst.seconds} s on ${worst.path.join(' -> ')}, more than Express's 5 minutes less 10 s (${limit} s): an upload could time out untagged`,
    );
  }
  const visibilityTimeout = Duration.seconds(EXPRESS_DURATION_LIMIT.toSeconds() + 30);
  const budgetSeconds = checkInteger(
    'retryBudget with EXPRESS (seconds)',
    retryBudget.toSeconds(),
    visibilityTimeout.toSeconds(),
    12 * 3600,
  );
  return {
    visibilityTimeout,
    maxReceiveCount: Math.max(2, Math.ceil(budgetSeconds / visibilityTimeout.toSeconds())),
    retryBudget,
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
  roundToSeconds = 60,
): Duration {
  const timeout =
    given ??
    Duration.seconds(
      Math.min(900, Math.ceil(withMargin(total).toSeconds() / roundToSeconds) * roundToSeconds),
    );
  checkTimeout(name, timeout);
  checkFits(name, timeout, steps, total);
  return timeout;
}

/** A prop carrying an integer setting: the registry's bounds, and its default when not given. */
function checkSetting(
  name: string,
  value: number | undefined,
  setting: 'MAX_FILE_SIZE' | 'WARM_CONCURRENCY' | 'DEFINITIONS_CHECK_INTERVAL',
): number {
  const { min, max, default: fallback } = SETTINGS[setting];
  return checkInteger(name, value ?? fallback, min, max);
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

/** The prop naming each verdict's status value. */
const STATUS_VALUE_PROPS: Readonly<Record<keyof StatusNames, keyof StatusValues>> = {
  CLEAN: 'clean',
  INFECTED: 'infected',
  UNSCANNABLE: 'unscannable',
  SKIPPED: 'skipped',
  PROCESSING_ERROR: 'processingError',
};

/** Each a valid tag value, and no two alike: the scanner refuses to start otherwise (src/config.ts). */
function resolveStatusNames(values: StatusValues): StatusNames {
  const prop = (verdict: keyof StatusNames) => `statusValues.${STATUS_VALUE_PROPS[verdict]}`;
  return statusNamesOf(
    (verdict) => {
      const value = values[STATUS_VALUE_PROPS[verdict]];
      return value === undefined ? DEFAULT_STATUS_NAMES[verdict] : checkTagValue(prop(verdict), value);
    },
    ({ first, second, name }) =>
      new LambdaAvPropsError(`${prop(second)} must differ from ${prop(first)}: both are ${quote(name)}`),
  );
}

/**
 * The tags of AWS's managed malware scanning (GuardDuty Malware Protection for S3), for teams
 * whose policies and automation read them: the key `GuardDutyMalwareScanStatus` and its values.
 * An object over the size limit and one clamd could not read are both UNSUPPORTED, as GuardDuty
 * reports either; an access-denied object is FAILED with the error in its result (a sixth value
 * would need a sixth verdict; the result event tells them apart).
 */
export const GUARDDUTY_TAG_PRESET = {
  statusTagKey: 'GuardDutyMalwareScanStatus',
  statusValues: {
    clean: 'NO_THREATS_FOUND',
    infected: 'THREATS_FOUND',
    unscannable: 'UNSUPPORTED',
    skipped: 'UNSUPPORTED',
    processingError: 'FAILED',
  },
} as const satisfies { statusTagKey: string; statusValues: Required<StatusValues> };

function resolveTagPreset(props: LambdaAvProps): typeof GUARDDUTY_TAG_PRESET | undefined {
  if (props.tagPreset === undefined) return undefined;
  if (props.tagPreset !== 'guardduty') {
    throw new LambdaAvPropsError(`tagPreset must be guardduty, got ${quote(String(props.tagPreset))}`);
  }
  if (props.statusTagKey !== undefined || props.statusValues !== undefined) {
    throw new LambdaAvPropsError(
      'tagPreset sets statusTagKey and statusValues: give either the preset or your own, not both',
    );
  }
  return GUARDDUTY_TAG_PRESET;
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

/** Bulk scans' limits. Their cap leaves upload scans the instances reserved or provisioned for them. */
function resolveBulk(props: LambdaAvProps): BulkSettings {
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
  const fallback = reserved === undefined ? 10 : Math.min(room, Math.max(1, Math.floor(reserved / 2)));
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
