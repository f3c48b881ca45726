import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from './errors';

/**
 * Every environment variable the project reads, validated once. Nothing else in `src/` touches
 * `process.env`: core code receives a `Config` (or the part of it it needs).
 */
export interface Config {
  /** Bucket holding the published definitions (CLAMAV_BUCKET_NAME, required). */
  readonly definitionsBucket: string;
  /** Key prefix of the definitions, without leading or trailing slash; may be empty. */
  readonly definitionsPrefix: string;
  readonly statusNames: StatusNames;
  /**
   * What an object clamd could not fully scan is tagged (UNSCANNABLE_POLICY): `report` tags it
   * UNSCANNABLE, `block-as-infected` tags it INFECTED as before UNSCANNABLE existed. Either way
   * it is never CLEAN, and its result and metrics say it was unscannable.
   */
  readonly unscannablePolicy: UnscannablePolicy;
  /** Tag key of the scan status (METADATA_FILE_STATUS). */
  readonly statusTagKey: string;
  /** Tag key of the scan time in milliseconds since the epoch (METADATA_FILE_TIMESTAMP). */
  readonly timestampTagKey: string;
  /** Number of instances the warmer keeps warm, the invoked one included. */
  readonly warmConcurrency: number;
  /** Largest object scanned, in bytes; larger objects are SKIPPED without being downloaded. */
  readonly maxFileSize: number;
  /** Directory holding clamd, clamscan, freshclam and sigtool (or a bundle's `bin/`). */
  readonly clamavBinDir: string | undefined;
  /** Writable work area: definitions, clamd's socket, configuration and temporary files. */
  readonly workDir: string;
  /** Upper bound for clamd to load its definitions and answer PING. */
  readonly daemonStartTimeoutMs: number;
  /** Upper bound for one object's scan once its bytes reach clamd. */
  readonly scanTimeoutMs: number;
  /** Upper bound for downloading a set of definitions (a cold start, a refresh, the updater's restore). */
  readonly definitionsDownloadTimeoutMs: number;
  /** Name of the running Lambda function, used by the warmer to fan out. */
  readonly functionName: string | undefined;
  /** How often a warm scanner looks for newer published definitions, in seconds. */
  readonly definitionsCheckIntervalSeconds: number;
  /** How a warm scanner switches to newer definitions; `auto` picks by memory. */
  readonly reloadStrategy: ReloadStrategySetting;
  /**
   * The bucket of the update workflow's canary objects (CANARY_BUCKET_NAME). Their scans are not
   * uploads: no ScanLatency, so they neither trip the infected-objects alarm nor mix with upload
   * latency (the canary reports its own metrics).
   */
  readonly canaryBucket: string | undefined;
  /** Memory the instance may use, in MiB (the Lambda's configured memory), if known. */
  readonly memoryLimitMb: number | undefined;
  /**
   * The EventBridge bus every final result is published to (RESULT_EVENT_BUS: a bus name or ARN,
   * `default` for the account's default bus). Unset: results are not published (local scans).
   */
  readonly resultEventBus: string | undefined;
  /**
   * What happens to an object tagged INFECTED, by bucket (INFECTED_ACTIONS, JSON such as
   * `{"uploads": "quarantine"}`); a bucket not named keeps its tag only. The scanner only names
   * the action in the result event: the stack's actions workflow carries it out.
   */
  readonly infectedActions: Readonly<Record<string, InfectedAction>>;
  /** Where `quarantine` puts infected objects (QUARANTINE_BUCKET_NAME; the actions function only). */
  readonly quarantineBucket: string | undefined;
  readonly updater: UpdaterConfig;
}

/** What is done with an INFECTED object besides its tag. */
export const INFECTED_ACTIONS = ['quarantine', 'delete'] as const;
export type InfectedAction = (typeof INFECTED_ACTIONS)[number];

export type ReloadStrategySetting = 'auto' | 'concurrent' | 'restart';

export interface UpdaterConfig {
  /** A private mirror replacing ClamAV's official one, `http(s)://host[:port]`. */
  readonly mirrorUrl: string | undefined;
  /** Extra databases fetched with freshclam's DatabaseCustomURL. */
  readonly customDatabaseUrls: readonly string[];
  /** Official databases to fetch (main, daily, bytecode); may be empty. */
  readonly officialDatabases: readonly OfficialDatabase[];
  /** Upper bound for one freshclam run. */
  readonly freshclamTimeoutMs: number;
  /** Upper bound for loading a new set in ClamAV before it is published. */
  readonly verifyTimeoutMs: number;
  /**
   * What the update workflow rescans ("stale" bulk scans) after it publishes a new set
   * (BULK_RESCAN_TARGETS, a JSON array of `{bucket, prefix?, window?}`).
   */
  readonly rescanTargets: readonly RescanTarget[];
}

/** A bucket (and prefix) rescanned after new definitions: objects modified within `window` only. */
export interface RescanTarget {
  readonly bucket: string;
  readonly prefix: string;
  /** An ISO 8601 duration back from the rescan (`P30D`, `PT12H`, `PT90M`); none: every object. */
  readonly window?: string;
}

/** The windows a rescan target (and a bulk scan's modifiedAfter) may give. */
export const RESCAN_WINDOW = /^P(?:(\d+)D|T(\d+)H|T(\d+)M)$/;

export const OFFICIAL_DATABASES = ['main', 'daily', 'bytecode'] as const;
export type OfficialDatabase = (typeof OFFICIAL_DATABASES)[number];

export interface StatusNames {
  readonly CLEAN: string;
  readonly INFECTED: string;
  /** clamd could not scan the object completely (encrypted, over a limit, a format it skips). */
  readonly UNSCANNABLE: string;
  readonly SKIPPED: string;
  readonly PROCESSING_ERROR: string;
}

/** FILE_STATUS_<verdict> when not set. */
export const DEFAULT_STATUS_NAMES: StatusNames = {
  CLEAN: 'CLEAN',
  INFECTED: 'INFECTED',
  UNSCANNABLE: 'UNSCANNABLE',
  SKIPPED: 'SKIPPED',
  PROCESSING_ERROR: 'PROCESSING_ERROR',
};

export const UNSCANNABLE_POLICIES = ['report', 'block-as-infected'] as const;
export type UnscannablePolicy = (typeof UNSCANNABLE_POLICIES)[number];

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * ClamAV cannot scan a single file of 2 GiB or more; the object itself is one such file, so the
 * configured limit must stay below it.
 */
export const CLAMAV_MAX_FILE_SIZE = 2 ** 31 - 1;

export const DEFAULT_MAX_FILE_SIZE = 314_572_800;

/**
 * The time budgets of one invocation, in milliseconds. The CDK app sizes each function's
 * timeout from them (infra/budgets.ts), so they are defined once, here.
 */
export const DEFAULT_BUDGETS_MS = {
  /** CLAMD_START_TIMEOUT_MS: clamd loading ClamAV's official set takes 15-30 s. */
  daemonStart: 120_000,
  /** CLAMD_SCAN_TIMEOUT_MS */
  scan: 240_000,
  /** DEFINITIONS_DOWNLOAD_TIMEOUT_MS: the official set is about 300 MB, read within the Region. */
  definitionsDownload: 60_000,
  /** FRESHCLAM_TIMEOUT_MS */
  freshclam: 300_000,
  /** DEFINITIONS_VERIFY_TIMEOUT_MS: clamscan loads the whole set, as clamd does. */
  verify: 300_000,
} as const;

export function loadConfig(env: Env = process.env): Config {
  const maxFileSize = readInteger(env, 'MAX_FILE_SIZE', DEFAULT_MAX_FILE_SIZE, 1, CLAMAV_MAX_FILE_SIZE);
  return {
    definitionsBucket: readRequired(env, 'CLAMAV_BUCKET_NAME'),
    definitionsPrefix: normalisePrefix(env.PATH_TO_AV_DEFINITIONS ?? ''),
    statusNames: readStatusNames(env),
    unscannablePolicy: readChoice(env, 'UNSCANNABLE_POLICY', UNSCANNABLE_POLICIES, 'report'),
    statusTagKey: readTagKey(env, 'METADATA_FILE_STATUS', 'av-status'),
    timestampTagKey: readTagKey(env, 'METADATA_FILE_TIMESTAMP', 'av-timestamp'),
    warmConcurrency: readInteger(env, 'WARM_CONCURRENCY', 1, 1, 100),
    maxFileSize,
    clamavBinDir: readOptional(env, 'CLAMAV_BIN_DIR') ?? bundledBinDir(),
    workDir: readString(env, 'AV_WORK_DIR', '/tmp/lambda-av'),
    daemonStartTimeoutMs: readInteger(
      env,
      'CLAMD_START_TIMEOUT_MS',
      DEFAULT_BUDGETS_MS.daemonStart,
      100,
      900_000,
    ),
    scanTimeoutMs: readInteger(env, 'CLAMD_SCAN_TIMEOUT_MS', DEFAULT_BUDGETS_MS.scan, 100, 900_000),
    definitionsDownloadTimeoutMs: readInteger(
      env,
      'DEFINITIONS_DOWNLOAD_TIMEOUT_MS',
      DEFAULT_BUDGETS_MS.definitionsDownload,
      100,
      900_000,
    ),
    functionName: readOptional(env, 'AWS_LAMBDA_FUNCTION_NAME'),
    definitionsCheckIntervalSeconds: readInteger(env, 'DEFINITIONS_CHECK_INTERVAL', 300, 0, 86_400),
    reloadStrategy: readChoice(env, 'CLAMD_RELOAD_STRATEGY', ['auto', 'concurrent', 'restart'], 'auto'),
    canaryBucket: readOptional(env, 'CANARY_BUCKET_NAME'),
    memoryLimitMb: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE
      ? readInteger(env, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 0, 128, 10_240)
      : undefined,
    resultEventBus: readOptional(env, 'RESULT_EVENT_BUS'),
    infectedActions: readInfectedActions(env),
    quarantineBucket: readOptional(env, 'QUARANTINE_BUCKET_NAME'),
    updater: {
      mirrorUrl: readUrl(env, 'CLAMAV_MIRROR_URL'),
      customDatabaseUrls: readList(env, 'CLAMAV_CUSTOM_DATABASE_URLS').map((url, i) =>
        checkUrl(`CLAMAV_CUSTOM_DATABASE_URLS[${i}]`, url, ['http:', 'https:', 'file:']),
      ),
      officialDatabases: readList(env, 'CLAMAV_OFFICIAL_DATABASES', 'main,daily,bytecode').map((name) => {
        if (!(OFFICIAL_DATABASES as readonly string[]).includes(name)) {
          throw new ConfigurationError(
            `CLAMAV_OFFICIAL_DATABASES may list ${OFFICIAL_DATABASES.join(', ')}; got ${JSON.stringify(name)}`,
          );
        }
        return name as OfficialDatabase;
      }),
      freshclamTimeoutMs: readInteger(
        env,
        'FRESHCLAM_TIMEOUT_MS',
        DEFAULT_BUDGETS_MS.freshclam,
        100,
        900_000,
      ),
      verifyTimeoutMs: readInteger(
        env,
        'DEFINITIONS_VERIFY_TIMEOUT_MS',
        DEFAULT_BUDGETS_MS.verify,
        100,
        900_000,
      ),
      rescanTargets: readRescanTargets(env),
    },
  };
}

let cached: Config | undefined;

/** The process-wide configuration, read on first use. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

/**
 * In `lambda.zip`, ClamAV sits in `clamav/bin` next to the bundled `index.js`. Outside a bundle
 * there is nothing there and the system's ClamAV is used.
 */
function bundledBinDir(): string | undefined {
  const candidate = path.join(__dirname, 'clamav', 'bin');
  return existsSync(path.join(candidate, 'clamd')) ? candidate : undefined;
}

function readOptional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function readRequired(env: Env, name: string): string {
  const value = readOptional(env, name);
  if (value === undefined) {
    throw new ConfigurationError(`${name} is required but ${env[name] === undefined ? 'not set' : 'empty'}`);
  }
  return value;
}

function readString(env: Env, name: string, fallback: string): string {
  return readOptional(env, name) ?? fallback;
}

/**
 * The clean and infected names must each be unique: a verdict sharing one (an UNSCANNABLE object
 * tagged with the clean name, say) would pass content off as something it is not. The three
 * verdicts that are neither may share a name (GuardDuty's tags call both an object over the size
 * limit and one clamd could not read UNSUPPORTED); results tell them apart by their fields.
 */
function readStatusNames(env: Env): StatusNames {
  return statusNamesOf(
    (verdict) => readString(env, `FILE_STATUS_${verdict}`, DEFAULT_STATUS_NAMES[verdict]),
    ({ first, second, name }) =>
      new ConfigurationError(
        `FILE_STATUS_${second} must differ from FILE_STATUS_${first}: both are ${JSON.stringify(name)}`,
      ),
  );
}

/**
 * The five status names, each from `nameOf`, refused with the error `refuse` makes when two are
 * alike (also used by the CDK app, which checks its props the same way).
 */
export function statusNamesOf(
  nameOf: (verdict: keyof StatusNames) => string,
  refuse: (clash: { first: keyof StatusNames; second: keyof StatusNames; name: string }) => Error,
): StatusNames {
  const names: StatusNames = {
    CLEAN: nameOf('CLEAN'),
    INFECTED: nameOf('INFECTED'),
    UNSCANNABLE: nameOf('UNSCANNABLE'),
    SKIPPED: nameOf('SKIPPED'),
    PROCESSING_ERROR: nameOf('PROCESSING_ERROR'),
  };
  const verdicts = Object.keys(names) as Array<keyof StatusNames>;
  for (const [i, first] of verdicts.entries()) {
    for (const second of verdicts.slice(i + 1)) {
      const unique = (v: keyof StatusNames) => v === 'CLEAN' || v === 'INFECTED';
      if (names[first] === names[second] && (unique(first) || unique(second))) {
        throw refuse({ first, second, name: names[first] });
      }
    }
  }
  return names;
}

function readInfectedActions(env: Env): Record<string, InfectedAction> {
  const raw = readOptional(env, 'INFECTED_ACTIONS');
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(
      `INFECTED_ACTIONS must be JSON such as {"uploads": "quarantine"}, got ${raw}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError(`INFECTED_ACTIONS must be a JSON object of bucket names, got ${raw}`);
  }
  for (const [bucket, action] of Object.entries(parsed)) {
    if (!(INFECTED_ACTIONS as readonly unknown[]).includes(action)) {
      throw new ConfigurationError(
        `INFECTED_ACTIONS[${JSON.stringify(bucket)}] must be one of ${INFECTED_ACTIONS.join(', ')}, got ${JSON.stringify(action)}`,
      );
    }
  }
  return parsed as Record<string, InfectedAction>;
}

/** S3 tag keys are 1-128 characters of letters, digits, spaces and `+ - = . _ : / @`. */
function readTagKey(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(value)) {
    throw new ConfigurationError(`${name} must be a valid S3 tag key, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readOptional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new ConfigurationError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigurationError(`${name} must be between ${min} and ${max}, got ${raw}`);
  }
  return value;
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const value = readOptional(env, name) ?? fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigurationError(
      `${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** A comma-separated list; an explicitly empty variable is an empty list. */
function readList(env: Env, name: string, fallback = ''): string[] {
  const raw = env[name] ?? fallback;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readRescanTargets(env: Env): RescanTarget[] {
  const raw = readOptional(env, 'BULK_RESCAN_TARGETS');
  if (raw === undefined) return [];
  const refuse = (detail: string) =>
    new ConfigurationError(
      `BULK_RESCAN_TARGETS must be a JSON array of {bucket, prefix?, window?} (window like P30D): ${detail}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw refuse(`not JSON: ${JSON.stringify(raw)}`);
  }
  if (!Array.isArray(parsed)) throw refuse(`got ${JSON.stringify(parsed)}`);
  return parsed.map((entry: unknown) => {
    const { bucket, prefix = '', window } = (entry ?? {}) as Record<string, unknown>;
    if (typeof bucket !== 'string' || bucket === '' || typeof prefix !== 'string') {
      throw refuse(`got ${JSON.stringify(entry)}`);
    }
    if (window !== undefined && (typeof window !== 'string' || !RESCAN_WINDOW.test(window))) {
      throw refuse(`window ${JSON.stringify(window)}`);
    }
    return { bucket, prefix, ...(typeof window === 'string' ? { window } : {}) };
  });
}

function readUrl(env: Env, name: string): string | undefined {
  const value = readOptional(env, name);
  return value === undefined ? undefined : checkUrl(name, value, ['http:', 'https:']).replace(/\/+$/, '');
}

function checkUrl(name: string, value: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`${name} must be a URL, got ${JSON.stringify(value)}`);
  }
  if (!protocols.includes(url.protocol) || /\s/.test(value)) {
    throw new ConfigurationError(
      `${name} must be a ${protocols.join(' or ')} URL, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function normalisePrefix(prefix: string): string {
  return prefix.trim().replace(/^\/+|\/+$/g, '');
}

/** Settings of the `lambda-av` command, read from its environment. */
export interface CliSettings {
  /** Where `lambda-av update` keeps definitions for local scans. */
  readonly cacheDir: string;
  /** The system's ClamAV database directory, used for local scans when it holds databases. */
  readonly systemDatabaseDir: string;
  /** The deployed scan state machine, for `--remote` and `history`. */
  readonly stateMachineArn: string | undefined;
  /** The deployed scanner function, for `--direct`. */
  readonly functionName: string | undefined;
  /**
   * Where local scans put clamd's work area (LAMBDA_AV_TMPDIR); unset: /dev/shm when it has
   * room, else the system's temporary directory.
   */
  readonly scanTempDir: string | undefined;
  /** The deployed definitions bucket and prefix, for `definitions publish`. */
  readonly definitionsBucket: string | undefined;
  readonly definitionsPrefix: string | undefined;
  /** The deployed update state machine, for `definitions publish`. */
  readonly updateStateMachineArn: string | undefined;
  /** The deployed bulk scan state machine, for `scan-bucket`. */
  readonly bulkScanStateMachineArn: string | undefined;
  /** How often `scan-bucket --wait` looks at the Map Run, in milliseconds. */
  readonly pollIntervalMs: number;
  /** The deployed updater function, for `definitions publish --function`. */
  readonly updaterFunctionName: string | undefined;
  /** The prefix of the deployed stack's alarm names (its AlarmNamePrefix output), for `status`. */
  readonly alarmNamePrefix: string | undefined;
  /**
   * Set when Step Functions is reached through an endpoint of the user's (AWS_ENDPOINT_URL_SFN
   * or AWS_ENDPOINT_URL): StartSyncExecution's `sync-` host prefix is then left off.
   */
  readonly sfnEndpointOverride: string | undefined;
}

export function loadCliSettings(env: Env = process.env): CliSettings {
  const home = env.HOME ?? '/tmp';
  return {
    cacheDir: readString(
      env,
      'LAMBDA_AV_CACHE_DIR',
      path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'lambda-av'),
    ),
    systemDatabaseDir: readString(env, 'CLAMAV_SYSTEM_DATABASE_DIR', '/var/lib/clamav'),
    stateMachineArn: readOptional(env, 'LAMBDA_AV_STATE_MACHINE_ARN'),
    functionName: readOptional(env, 'LAMBDA_AV_FUNCTION_NAME'),
    scanTempDir: readOptional(env, 'LAMBDA_AV_TMPDIR'),
    definitionsBucket: readOptional(env, 'CLAMAV_BUCKET_NAME'),
    definitionsPrefix:
      env.PATH_TO_AV_DEFINITIONS === undefined ? undefined : normalisePrefix(env.PATH_TO_AV_DEFINITIONS),
    updateStateMachineArn: readOptional(env, 'LAMBDA_AV_UPDATE_STATE_MACHINE_ARN'),
    bulkScanStateMachineArn: readOptional(env, 'LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN'),
    pollIntervalMs: readInteger(env, 'LAMBDA_AV_POLL_INTERVAL_MS', 5000, 10, 600_000),
    updaterFunctionName: readOptional(env, 'LAMBDA_AV_UPDATER_FUNCTION_NAME'),
    alarmNamePrefix: readOptional(env, 'LAMBDA_AV_ALARM_PREFIX'),
    sfnEndpointOverride: readOptional(env, 'AWS_ENDPOINT_URL_SFN') ?? readOptional(env, 'AWS_ENDPOINT_URL'),
  };
}
