import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ContextError } from './errors';
import {
  OfficialDatabase,
  OnInfected,
  ReloadStrategy,
  TagPreset,
  UnscannablePolicy,
  WorkflowType,
} from './lambda-av-choices';
import type { LambdaAvProps } from './lambda-av-props';
import type { LambdaAvStackProps, ScanBucketByName } from './lambda-av-stack';
import { ProcessingErrorThreshold } from './processing-error-threshold';
import { Sweep } from './sweep-settings';

/** Reads one context value: `app.node.tryGetContext`. */
export type ContextReader = (key: string) => unknown;

/** Every context key the app reads (`npx cdk deploy -c key=value`, or `context` in cdk.json). */
export const CONTEXT_KEYS = [
  'stackName',
  'lambdaZip',
  'architecture',
  'workflowType',
  'retryBudgetMinutes',
  'scanBuckets',
  'scanOnUpload',
  'eventBridgeNotifications',
  'definitionsBucketName',
  'definitionsPrefix',
  'maxFileSize',
  'scannerMemorySize',
  'reservedConcurrency',
  'provisionedConcurrency',
  'warmConcurrency',
  'warmerIntervalMinutes',
  'definitionsCheckIntervalSeconds',
  'reloadStrategy',
  'statusTagKey',
  'timestampTagKey',
  'tagPreset',
  'infectedActions',
  'quarantineRetentionDays',
  'updaterMemorySize',
  'updateIntervalMinutes',
  'updateOnDeploy',
  'mirrorUrl',
  'customDatabaseUrls',
  'officialDatabases',
  'alarmEmails',
  'definitionsAgeThresholdHours',
  'scanLatencyThresholdMs',
  'canaryLatencyThresholdMs',
  'processingErrorPercent',
  'processingErrorCount',
  'unscannablePolicy',
  'unscannableAlarmThreshold',
  'bulkMaxConcurrency',
  'bulkBatchSize',
  'rescanTargets',
  'rescanWindowDays',
  'sweepIntervalHours',
  'logRetentionDays',
  'removalPolicy',
] as const;

export interface AppSettings {
  readonly stackName: string;
  /** A prebuilt lambda.zip instead of building one at synth. */
  readonly lambdaZip: string | undefined;
  readonly stackProps: LambdaAvStackProps;
}

export { ContextError };

/**
 * The app's settings from CDK context. Values from `-c` arrive as strings, values from cdk.json
 * as JSON; both are accepted. Anything malformed throws, naming the key and the value.
 */
export function readAppSettings(get: ContextReader): AppSettings {
  const c = new ContextValues(get);
  const lambdaAv: Omit<LambdaAvProps, 'definitionsBucket' | 'scanBuckets'> = compact({
    architecture: map(c.choice('architecture', ['x86_64', 'arm64'] as const), (arch) =>
      arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
    ),
    workflowType: c.choice('workflowType', Object.values(WorkflowType)),
    retryBudget: map(c.integer('retryBudgetMinutes'), Duration.minutes),
    definitionsPrefix: c.string('definitionsPrefix'),
    maxFileSize: c.integer('maxFileSize'),
    scannerMemorySize: c.integer('scannerMemorySize'),
    reservedConcurrency: c.integer('reservedConcurrency'),
    provisionedConcurrency: c.integer('provisionedConcurrency'),
    warmConcurrency: c.integer('warmConcurrency'),
    ...warmer(c.integer('warmerIntervalMinutes')),
    definitionsCheckInterval: map(c.integer('definitionsCheckIntervalSeconds'), Duration.seconds),
    reloadStrategy: c.choice('reloadStrategy', Object.values(ReloadStrategy)),
    statusTagKey: c.string('statusTagKey'),
    timestampTagKey: c.string('timestampTagKey'),
    tagPreset: c.choice('tagPreset', Object.values(TagPreset)),
    quarantineRetention: map(c.integer('quarantineRetentionDays'), Duration.days),
    updaterMemorySize: c.integer('updaterMemorySize'),
    updateInterval: map(c.integer('updateIntervalMinutes'), Duration.minutes),
    updateOnDeploy: c.boolean('updateOnDeploy'),
    mirrorUrl: c.string('mirrorUrl'),
    customDatabaseUrls: c.list('customDatabaseUrls'),
    officialDatabases: map(c.list('officialDatabases'), (names) =>
      names.map((name) => {
        const database = Object.values(OfficialDatabase).find((value) => value === name);
        if (database === undefined) {
          throw new ContextError(
            'officialDatabases',
            `a comma-separated subset of ${Object.values(OfficialDatabase).join(',')}`,
            name,
          );
        }
        return database;
      }),
    ),
    alarmEmails: c.list('alarmEmails'),
    definitionsAgeThreshold: map(c.integer('definitionsAgeThresholdHours'), Duration.hours),
    scanLatencyThreshold: map(c.integer('scanLatencyThresholdMs'), Duration.millis),
    canaryLatencyThreshold: map(c.integer('canaryLatencyThresholdMs'), Duration.millis),
    processingErrorThreshold: processingErrorThreshold(
      c.integer('processingErrorPercent'),
      c.integer('processingErrorCount'),
    ),
    unscannablePolicy: c.choice('unscannablePolicy', Object.values(UnscannablePolicy)),
    unscannableAlarmThreshold: c.integer('unscannableAlarmThreshold'),
    bulkScan: nonEmpty(
      compact({ maxConcurrency: c.integer('bulkMaxConcurrency'), batchSize: c.integer('bulkBatchSize') }),
    ),
    sweep: map(c.integer('sweepIntervalHours'), sweepOf),
    logRetention: map(c.integer('logRetentionDays'), (days) => retentionOf(days)),
    removalPolicy: map(c.choice('removalPolicy', ['retain', 'destroy'] as const), (policy) =>
      policy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    ),
  });
  // Apply to every bucket that does not set its own.
  const defaults = compact({
    scanOnUpload: c.boolean('scanOnUpload'),
    eventBridgeNotifications: c.boolean('eventBridgeNotifications'),
  });
  const actions = infectedActionsOf(c.string('infectedActions'));
  const scanBuckets = (c.raw('scanBuckets') === undefined ? [] : scanBucketsOf(c.raw('scanBuckets'))).map(
    (bucket): ScanBucketByName => {
      const onInfected = actions.get(bucket.bucketName);
      actions.delete(bucket.bucketName);
      return { ...defaults, ...bucket, ...(onInfected ? { onInfected } : {}) };
    },
  );
  for (const name of actions.keys()) {
    throw new ContextError('infectedActions', 'about buckets listed in scanBuckets', name);
  }
  const definitionsBucketName = c.string('definitionsBucketName');
  // `bucket` or `bucket/prefix/`, comma-separated: rescanned after new definitions.
  const rescanTargets = (c.list('rescanTargets') ?? []).map((entry) => {
    const slash = entry.indexOf('/');
    return slash < 0
      ? { bucketName: entry }
      : { bucketName: entry.slice(0, slash), prefix: entry.slice(slash + 1) };
  });
  const rescanWindow = map(c.integer('rescanWindowDays'), Duration.days);
  return {
    stackName: c.string('stackName') ?? 'LambdaAv',
    lambdaZip: c.string('lambdaZip'),
    stackProps: {
      lambdaAv,
      scanBuckets,
      ...(definitionsBucketName ? { definitionsBucketName } : {}),
      ...(rescanTargets.length > 0 ? { rescanTargets } : {}),
      ...(rescanWindow ? { rescanWindow } : {}),
    },
  };
}

/**
 * `scanBuckets`: `a,b` or `a=arn:aws:kms:...:key/ID,b` (a bucket and the KMS key of its
 * objects), or in cdk.json a JSON array of such strings or of
 * `{bucketName, kmsKeyArn?, scanOnUpload?, eventBridgeNotifications?}`.
 */
export function scanBucketsOf(value: unknown): ScanBucketByName[] {
  const expected = 'a comma-separated list of bucket names, each optionally followed by =KMS_KEY_ARN';
  const entries: unknown[] =
    typeof value === 'string'
      ? value
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== '')
      : Array.isArray(value)
        ? value
        : [];
  if (typeof value !== 'string' && !Array.isArray(value))
    throw new ContextError('scanBuckets', expected, value);
  return entries.map((entry): ScanBucketByName => {
    if (typeof entry === 'string') {
      const [bucketName, kmsKeyArn, extra] = entry.split('=').map((part) => part.trim());
      if (!bucketName || extra !== undefined || kmsKeyArn === '')
        throw new ContextError('scanBuckets', expected, entry);
      return kmsKeyArn ? { bucketName, kmsKeyArn } : { bucketName };
    }
    if (
      entry !== null &&
      typeof entry === 'object' &&
      typeof (entry as { bucketName?: unknown }).bucketName === 'string'
    ) {
      const { bucketName, kmsKeyArn, scanOnUpload, eventBridgeNotifications } = entry as Record<
        string,
        unknown
      >;
      if (
        (kmsKeyArn !== undefined && typeof kmsKeyArn !== 'string') ||
        (scanOnUpload !== undefined && typeof scanOnUpload !== 'boolean') ||
        (eventBridgeNotifications !== undefined && typeof eventBridgeNotifications !== 'boolean')
      ) {
        throw new ContextError(
          'scanBuckets',
          '{bucketName: string, kmsKeyArn?: string, scanOnUpload?: boolean, eventBridgeNotifications?: boolean}',
          entry,
        );
      }
      return compact({
        bucketName: bucketName as string,
        kmsKeyArn,
        scanOnUpload,
        eventBridgeNotifications,
      }) as ScanBucketByName;
    }
    throw new ContextError('scanBuckets', expected, entry);
  });
}

/** `infectedActions`: `bucket=quarantine,other=delete`. */
function infectedActionsOf(value: string | undefined): Map<string, OnInfected> {
  const actions = new Map<string, OnInfected>();
  for (const entry of (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const [bucketName, action, extra] = entry.split('=').map((part) => part.trim());
    if (!bucketName || extra !== undefined || (action !== 'quarantine' && action !== 'delete')) {
      throw new ContextError(
        'infectedActions',
        'a comma-separated list of bucket=quarantine or bucket=delete',
        entry,
      );
    }
    actions.set(bucketName, action === 'delete' ? OnInfected.DELETE : OnInfected.QUARANTINE);
  }
  return actions;
}

function processingErrorThreshold(
  percent: number | undefined,
  count: number | undefined,
): LambdaAvProps['processingErrorThreshold'] {
  if (percent !== undefined && count !== undefined) {
    throw new ContextError('processingErrorPercent', 'given alone (or processingErrorCount alone)', percent);
  }
  if (percent !== undefined) return ProcessingErrorThreshold.percent(percent);
  return count === undefined ? undefined : ProcessingErrorThreshold.count(count);
}

function warmer(minutes: number | undefined): Pick<LambdaAvProps, 'warmerEnabled' | 'warmerInterval'> {
  if (minutes === undefined) return {};
  return minutes === 0 ? { warmerEnabled: false } : { warmerInterval: Duration.minutes(minutes) };
}

/** `sweepIntervalHours`: `0` turns the sweep off, else a sweep every so many hours. */
function sweepOf(hours: number): LambdaAvProps['sweep'] {
  if (hours < 0 || hours > 24 * 7) {
    throw new ContextError(
      'sweepIntervalHours',
      'a whole number of hours from 1 to 168, or 0 for no sweep',
      hours,
    );
  }
  return hours === 0 ? Sweep.off() : Sweep.onSchedule(events.Schedule.rate(Duration.hours(hours)));
}

function retentionOf(days: number): logs.RetentionDays {
  const known = Object.values(logs.RetentionDays).filter(
    (value): value is logs.RetentionDays => typeof value === 'number',
  );
  if (!known.includes(days as logs.RetentionDays)) {
    throw new ContextError(
      'logRetentionDays',
      `one of CloudWatch Logs' retention periods (${known.join(', ')})`,
      days,
    );
  }
  return days as logs.RetentionDays;
}

function map<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

function nonEmpty<T extends object>(value: T): T | undefined {
  return Object.keys(value).length > 0 ? value : undefined;
}

/** Drops undefined members, so the construct's defaults apply. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

class ContextValues {
  constructor(private readonly get: ContextReader) {}

  raw(key: (typeof CONTEXT_KEYS)[number]): unknown {
    const value = this.get(key);
    return value === '' ? undefined : value;
  }

  string(key: (typeof CONTEXT_KEYS)[number]): string | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new ContextError(key, 'a string', value);
    return value.trim() === '' ? undefined : value.trim();
  }

  integer(key: (typeof CONTEXT_KEYS)[number]): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value.trim());
    throw new ContextError(key, 'a whole number', value);
  }

  boolean(key: (typeof CONTEXT_KEYS)[number]): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new ContextError(key, 'true or false', value);
  }

  /** A comma-separated string or a JSON array of strings; `-c key=` (empty) is an empty list. */
  list(key: (typeof CONTEXT_KEYS)[number]): string[] | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') {
      return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    }
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
    throw new ContextError(key, 'a comma-separated list', value);
  }

  choice<const T extends string>(key: (typeof CONTEXT_KEYS)[number], choices: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const choice = choices.find((c) => c === value);
    if (choice === undefined) throw new ContextError(key, `one of ${choices.join(', ')}`, value);
    return choice;
  }
}
