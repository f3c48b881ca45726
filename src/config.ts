import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from './errors';
import {
  customDatabaseUrlProblem,
  INFECTED_ACTIONS,
  type InfectedAction,
  type IntegerSetting,
  type IntegerSettingName,
  isTagKey,
  isUrl,
  isUrlOf,
  type ListSettingName,
  OFFICIAL_DATABASES,
  type OfficialDatabase,
  RELOAD_STRATEGY_CHOICES,
  RESCAN_WINDOW,
  type ReloadStrategyChoice,
  SECRET_SERVICES,
  SERVICE_NAME,
  SETTINGS,
  type SecretReferenceSettingName,
  type SecretService,
  type SettingName,
  STATUS_SETTING,
  type StatusNames,
  type StringSetting,
  type StringSettingName,
  statusNamesOf,
  type TagKeySettingName,
  UNSCANNABLE_POLICIES,
  type UnscannablePolicy,
  type UrlSettingName,
} from './settings';

/**
 * Every environment variable the project reads, validated once, by the registry's names, defaults
 * and limits (src/settings.ts). Nothing else in `src/` touches `process.env`: core code receives a
 * `Config` (or the part of it it needs).
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
  /** Upper bound for one object's scan, from connecting to clamd to its answer (src/settings.ts). */
  readonly scanTimeoutMs: number;
  /** Upper bound for downloading a set of definitions (a cold start, a refresh, the updater's restore). */
  readonly definitionsDownloadTimeoutMs: number;
  /** Name of the running Lambda function, used by the warmer to fan out. */
  readonly functionName: string | undefined;
  /** How often a warm scanner looks for newer published definitions, in seconds. */
  readonly definitionsCheckIntervalSeconds: number;
  /** How a warm scanner switches to newer definitions; `auto` picks by memory. */
  readonly reloadStrategy: ReloadStrategyChoice;
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
  /** Scanning for a whole AWS Organization (ORGANIZATION); undefined: this account only. */
  readonly organization: OrganizationConfig | undefined;
  readonly updater: UpdaterConfig;
}

/**
 * A hub scanning its organization's member accounts (docs/organization.md). An object of another
 * account is read, tagged and acted on with the credentials of that account's member role,
 * `arn:<partition>:iam::<account>:role/<memberRoleName>`.
 */
export interface OrganizationConfig {
  /** The account this deployment runs in: its objects need no member role. */
  readonly hubAccount: string;
  readonly partition: string;
  readonly memberRoleName: string;
  /** INFECTED and UNSCANNABLE results become Security Hub findings in the object's account. */
  readonly securityHub: boolean;
}

/** An AWS account id: twelve digits. */
export const ACCOUNT_ID = /^\d{12}$/;

export interface UpdaterConfig {
  /** A private mirror replacing ClamAV's official one, `http(s)://host[:port]`. */
  readonly mirrorUrl: string | undefined;
  /**
   * Where the private mirror's URL is read at run time (CLAMAV_MIRROR_URL_SECRET), when it holds a
   * token; never together with `mirrorUrl`. The updater resolves it into `mirrorUrl` for each run.
   */
  readonly mirrorUrlSecret: SecretReference | undefined;
  /** Extra databases fetched with freshclam's DatabaseCustomURL. */
  readonly customDatabaseUrls: readonly string[];
  /** More of them, each read at run time (CLAMAV_CUSTOM_DATABASE_URL_SECRETS). */
  readonly customDatabaseUrlSecrets: readonly SecretReference[];
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
  readonly rescanTargets: readonly RescanSetting[];
}

/**
 * Where a URL that must not be in the function's configuration is read at run time: a secret of
 * Secrets Manager (its whole string, or one field of a JSON secret) or an SSM SecureString.
 */
export interface SecretReference {
  /** The variable (and index) it came from, for messages; the reference is no secret, its value is. */
  readonly setting: string;
  readonly service: SecretService;
  /** Secrets Manager: the secret's ARN or name; SSM: the parameter's name. */
  readonly id: string;
  /** Secrets Manager: the field of a JSON secret that holds the URL; absent: the whole secret string. */
  readonly jsonField?: string;
  /** The protocols the URL read may have. */
  readonly protocols: readonly string[];
}

/**
 * One entry of BULK_RESCAN_TARGETS: a bucket (by name) and prefix rescanned after new definitions,
 * objects modified within `window` only. (The construct's prop is infra's RescanTarget.)
 */
export interface RescanSetting {
  readonly bucket: string;
  readonly prefix: string;
  /** An ISO 8601 duration back from the rescan (`P30D`, `PT12H`, `PT90M`); none: every object. */
  readonly window?: string;
  /** A member account's bucket, on an organization hub (docs/organization.md). */
  readonly account?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const customDatabases = SETTINGS.CLAMAV_CUSTOM_DATABASE_URLS;
  return {
    definitionsBucket: readRequired(env, 'CLAMAV_BUCKET_NAME'),
    definitionsPrefix: normalisePrefix(readString(env, 'PATH_TO_AV_DEFINITIONS')),
    statusNames: readStatusNames(env),
    unscannablePolicy: readChoice(env, 'UNSCANNABLE_POLICY', UNSCANNABLE_POLICIES),
    statusTagKey: readTagKey(env, 'METADATA_FILE_STATUS'),
    timestampTagKey: readTagKey(env, 'METADATA_FILE_TIMESTAMP'),
    warmConcurrency: readInteger(env, 'WARM_CONCURRENCY'),
    maxFileSize: readInteger(env, 'MAX_FILE_SIZE'),
    clamavBinDir: readOptional(env, 'CLAMAV_BIN_DIR') ?? bundledBinDir(),
    workDir: readString(env, 'AV_WORK_DIR'),
    daemonStartTimeoutMs: readInteger(env, 'CLAMD_START_TIMEOUT_MS'),
    scanTimeoutMs: readInteger(env, 'CLAMD_SCAN_TIMEOUT_MS'),
    definitionsDownloadTimeoutMs: readInteger(env, 'DEFINITIONS_DOWNLOAD_TIMEOUT_MS'),
    functionName: readOptional(env, 'AWS_LAMBDA_FUNCTION_NAME'),
    definitionsCheckIntervalSeconds: readInteger(env, 'DEFINITIONS_CHECK_INTERVAL'),
    reloadStrategy: readChoice(env, 'CLAMD_RELOAD_STRATEGY', RELOAD_STRATEGY_CHOICES),
    canaryBucket: readOptional(env, 'CANARY_BUCKET_NAME'),
    memoryLimitMb: readOptionalInteger(env, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE'),
    resultEventBus: readOptional(env, 'RESULT_EVENT_BUS'),
    infectedActions: readInfectedActions(env),
    quarantineBucket: readOptional(env, 'QUARANTINE_BUCKET_NAME'),
    organization: readOrganization(env),
    updater: {
      ...readMirror(env),
      customDatabaseUrls: readList(env, 'CLAMAV_CUSTOM_DATABASE_URLS').map((url, i) => {
        const name = `CLAMAV_CUSTOM_DATABASE_URLS[${i}]`;
        const problem = customDatabaseUrlProblem(checkUrl(name, url, customDatabases.protocols));
        if (problem) throw new ConfigurationError(`${name} ${problem}, got ${JSON.stringify(url)}`);
        return url;
      }),
      customDatabaseUrlSecrets: readSecretReferences(env, 'CLAMAV_CUSTOM_DATABASE_URL_SECRETS'),
      officialDatabases: readList(env, 'CLAMAV_OFFICIAL_DATABASES').map((name) => {
        if (!(OFFICIAL_DATABASES as readonly string[]).includes(name)) {
          throw new ConfigurationError(
            `CLAMAV_OFFICIAL_DATABASES may list ${OFFICIAL_DATABASES.join(', ')}; got ${JSON.stringify(name)}`,
          );
        }
        return name as OfficialDatabase;
      }),
      freshclamTimeoutMs: readInteger(env, 'FRESHCLAM_TIMEOUT_MS'),
      verifyTimeoutMs: readInteger(env, 'DEFINITIONS_VERIFY_TIMEOUT_MS'),
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

function readOptional(env: Env, name: SettingName): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function readRequired(env: Env, name: StringSettingName): string {
  const value = readOptional(env, name);
  if (value === undefined) {
    throw new ConfigurationError(`${name} is required but ${env[name] === undefined ? 'not set' : 'empty'}`);
  }
  return value;
}

/** The variable, or the registry's default (`fallback` for defaults computed from elsewhere). */
function readString(env: Env, name: StringSettingName, fallback?: string): string {
  const setting: StringSetting = SETTINGS[name];
  return readOptional(env, name) ?? fallback ?? setting.default ?? '';
}

/** The five status names; the clean and infected ones each unique (settings.ts, statusNamesOf). */
function readStatusNames(env: Env): StatusNames {
  return statusNamesOf(
    (verdict) => {
      const name = STATUS_SETTING[verdict];
      return readOptional(env, name) ?? SETTINGS[name].default;
    },
    ({ first, second, name }) =>
      new ConfigurationError(
        `FILE_STATUS_${second} must differ from FILE_STATUS_${first}: both are ${JSON.stringify(name)}`,
      ),
  );
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

function readOrganization(env: Env): OrganizationConfig | undefined {
  const raw = readOptional(env, 'ORGANIZATION');
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(
      `ORGANIZATION must be JSON such as {"hubAccount": "111111111111", ...}, got ${raw}`,
    );
  }
  const value = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  const { hubAccount, partition, memberRoleName, securityHub } = value as Record<string, unknown>;
  const problems = [
    typeof hubAccount === 'string' && ACCOUNT_ID.test(hubAccount)
      ? undefined
      : 'hubAccount must be a 12-digit account id',
    typeof partition === 'string' && /^aws(-[a-z]+)*$/.test(partition)
      ? undefined
      : 'partition must be aws, aws-cn, aws-us-gov, ...',
    // IAM role names: 1-64 of letters, digits and +=,.@_- (no path: the ARN is built from it).
    typeof memberRoleName === 'string' && /^[\w+=,.@-]{1,64}$/.test(memberRoleName)
      ? undefined
      : 'memberRoleName must be an IAM role name',
    securityHub === undefined || typeof securityHub === 'boolean'
      ? undefined
      : 'securityHub must be true or false',
  ].filter((problem) => problem !== undefined);
  if (problems.length > 0) throw new ConfigurationError(`ORGANIZATION: ${problems.join('; ')}; got ${raw}`);
  return {
    hubAccount: hubAccount as string,
    partition: partition as string,
    memberRoleName: memberRoleName as string,
    securityHub: securityHub === true,
  };
}

function readTagKey(env: Env, name: TagKeySettingName): string {
  const value = readOptional(env, name) ?? SETTINGS[name].default;
  if (!isTagKey(value)) {
    throw new ConfigurationError(`${name} must be a valid S3 tag key, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The variable within the registry's bounds, or its default. */
function readInteger(env: Env, name: IntegerSettingName): number {
  const setting: IntegerSetting = SETTINGS[name];
  const value = readOptionalInteger(env, name) ?? setting.default;
  if (value === undefined) throw new ConfigurationError(`${name} is required but not set`);
  return value;
}

function readOptionalInteger(env: Env, name: IntegerSettingName): number | undefined {
  const { min, max } = SETTINGS[name];
  const raw = readOptional(env, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new ConfigurationError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigurationError(`${name} must be between ${min} and ${max}, got ${raw}`);
  }
  return value;
}

function readChoice<T extends string>(
  env: Env,
  name: 'UNSCANNABLE_POLICY' | 'CLAMD_RELOAD_STRATEGY',
  choices: readonly T[],
): T {
  const value = readOptional(env, name) ?? SETTINGS[name].default;
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigurationError(
      `${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** A comma-separated list; an explicitly empty variable is an empty list. */
function readList(env: Env, name: ListSettingName): string[] {
  const raw = env[name] ?? SETTINGS[name].default;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readRescanTargets(env: Env): RescanSetting[] {
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
    const { bucket, prefix = '', window, account } = (entry ?? {}) as Record<string, unknown>;
    if (account !== undefined && (typeof account !== 'string' || !ACCOUNT_ID.test(account))) {
      throw refuse(`account ${JSON.stringify(account)} is not a 12-digit account id`);
    }
    if (typeof bucket !== 'string' || bucket === '' || typeof prefix !== 'string') {
      throw refuse(`got ${JSON.stringify(entry)}`);
    }
    if (window !== undefined && (typeof window !== 'string' || !RESCAN_WINDOW.test(window))) {
      throw refuse(`window ${JSON.stringify(window)}`);
    }
    return {
      bucket,
      prefix,
      ...(typeof window === 'string' ? { window } : {}),
      ...(typeof account === 'string' ? { account } : {}),
    };
  });
}

/** The private mirror: its URL, or where to read it; not both. */
function readMirror(env: Env): Pick<UpdaterConfig, 'mirrorUrl' | 'mirrorUrlSecret'> {
  const mirrorUrl = readUrl(env, 'CLAMAV_MIRROR_URL');
  const [mirrorUrlSecret] = readSecretReferences(env, 'CLAMAV_MIRROR_URL_SECRET');
  if (mirrorUrl !== undefined && mirrorUrlSecret !== undefined) {
    throw new ConfigurationError(
      'CLAMAV_MIRROR_URL and CLAMAV_MIRROR_URL_SECRET are both set: give the mirror one way',
    );
  }
  return { mirrorUrl, mirrorUrlSecret };
}

const SECRET_REFERENCE = /^([a-z]+):([^#\s,]+)(?:#([^#\s,]+))?$/;
/** SSM parameter names: letters, digits, `_.-`, and `/` between the levels of a hierarchy. */
const SSM_PARAMETER_NAME = /^\/?[\w.-]+(?:\/[\w.-]+)*$/;

/** `secretsmanager:<ARN or name>[#<field>]` or `ssm:<name>`, one, or comma-separated for a list. */
function readSecretReferences(env: Env, name: SecretReferenceSettingName): SecretReference[] {
  const setting = SETTINGS[name];
  const raw = readOptional(env, name);
  if (raw === undefined) return [];
  const items = raw.split(',').map((item) => item.trim());
  if (!('list' in setting) && items.length > 1) {
    throw new ConfigurationError(`${name} holds one reference, got ${JSON.stringify(raw)}`);
  }
  return items
    .filter((item) => item !== '')
    .map((item, i) => {
      const label = 'list' in setting ? `${name}[${i}]` : name;
      const match = SECRET_REFERENCE.exec(item);
      const [, service, id, jsonField] = match ?? [];
      const known = (SECRET_SERVICES as readonly string[]).includes(service ?? '');
      const valid =
        known &&
        id !== undefined &&
        (service === 'secretsmanager' || (jsonField === undefined && SSM_PARAMETER_NAME.test(id)));
      if (!valid || id === undefined) {
        throw new ConfigurationError(
          `${label} must be secretsmanager:<secret ARN or name>[#<JSON field>] or ssm:<parameter name>, got ${JSON.stringify(item)}`,
        );
      }
      return {
        setting: label,
        service: service as SecretService,
        id,
        ...(jsonField === undefined ? {} : { jsonField }),
        protocols: setting.protocols,
      };
    });
}

function readUrl(env: Env, name: UrlSettingName): string | undefined {
  const value = readOptional(env, name);
  return value === undefined
    ? undefined
    : checkUrl(name, value, SETTINGS[name].protocols).replace(/\/+$/, '');
}

function checkUrl(name: string, value: string, protocols: readonly string[]): string {
  if (!isUrl(value)) {
    throw new ConfigurationError(`${name} must be a URL, got ${JSON.stringify(value)}`);
  }
  if (!isUrlOf(value, protocols)) {
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
      path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), SERVICE_NAME),
    ),
    systemDatabaseDir: readString(env, 'CLAMAV_SYSTEM_DATABASE_DIR'),
    stateMachineArn: readOptional(env, 'LAMBDA_AV_STATE_MACHINE_ARN'),
    functionName: readOptional(env, 'LAMBDA_AV_FUNCTION_NAME'),
    scanTempDir: readOptional(env, 'LAMBDA_AV_TMPDIR'),
    definitionsBucket: readOptional(env, 'CLAMAV_BUCKET_NAME'),
    definitionsPrefix:
      env.PATH_TO_AV_DEFINITIONS === undefined ? undefined : normalisePrefix(env.PATH_TO_AV_DEFINITIONS),
    updateStateMachineArn: readOptional(env, 'LAMBDA_AV_UPDATE_STATE_MACHINE_ARN'),
    bulkScanStateMachineArn: readOptional(env, 'LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN'),
    pollIntervalMs: readInteger(env, 'LAMBDA_AV_POLL_INTERVAL_MS'),
    updaterFunctionName: readOptional(env, 'LAMBDA_AV_UPDATER_FUNCTION_NAME'),
    alarmNamePrefix: readOptional(env, 'LAMBDA_AV_ALARM_PREFIX'),
    // The SDK's own variables, read here only to know that they are set.
    sfnEndpointOverride: env.AWS_ENDPOINT_URL_SFN?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined,
  };
}
