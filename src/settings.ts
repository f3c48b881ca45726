/**
 * Every setting lambda-av reads from its environment, written down once: its variable's name,
 * default, accepted values and what it does. src/config.ts reads the environment through this
 * registry; the CDK app (infra/) checks its props against the same limits and choices, fills in
 * the same defaults and sets the functions' environment by these names only. A setting is added
 * or changed here, and nowhere else.
 *
 * This module imports nothing, so that both the Lambda bundle and the CDK app can use it.
 */

/** The name lambda-av goes by: logs' and metrics' `service`, result events' `source`, its directories. */
export const SERVICE_NAME = 'lambda-av';

/**
 * ClamAV cannot scan a single file of 2 GiB or more; an object is one such file, so the size
 * limit must stay below it, and so must clamd's own file limits.
 */
export const CLAMAV_MAX_FILE_SIZE = 2 ** 31 - 1;

/** ClamAV's official databases, each fetched by freshclam unless left out. */
export const OFFICIAL_DATABASES = ['main', 'daily', 'bytecode'] as const;
export type OfficialDatabase = (typeof OFFICIAL_DATABASES)[number];

/** How a warm scanner switches to newer definitions; `auto` picks by memory (src/definitions/reload-strategy.ts). */
export const RELOAD_STRATEGY_CHOICES = ['auto', 'concurrent', 'restart'] as const;
export type ReloadStrategyChoice = (typeof RELOAD_STRATEGY_CHOICES)[number];

/** What an object clamd could not fully scan is tagged: UNSCANNABLE, or INFECTED as before UNSCANNABLE existed. */
export const UNSCANNABLE_POLICIES = ['report', 'block-as-infected'] as const;
export type UnscannablePolicy = (typeof UNSCANNABLE_POLICIES)[number];

/** What is done with an INFECTED object besides its tag. */
export const INFECTED_ACTIONS = ['quarantine', 'delete'] as const;
export type InfectedAction = (typeof INFECTED_ACTIONS)[number];

/** The windows a rescan target (and a bulk scan's modifiedAfter) may give. */
export const RESCAN_WINDOW = /^P(?:(\d+)D|T(\d+)H|T(\d+)M)$/;

/** S3 tag keys and values: letters, digits, spaces and `+ - = . _ : / @`; keys 1-128 characters, values 1-256. */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

export function isTagKey(value: string): boolean {
  return TAG_KEY.test(value);
}

export function isTagValue(value: string): boolean {
  return TAG_VALUE.test(value);
}

/** A URL at all (`new URL` accepts it). */
export function isUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** A URL of one of `protocols` (`http:`...), without whitespace anywhere. */
export function isUrlOf(value: string, protocols: readonly string[]): boolean {
  return isUrl(value) && protocols.includes(new URL(value).protocol) && !/\s/.test(value);
}

/**
 * Why freshclam cannot fetch a custom database from `url` (a URL of the right protocol), if it
 * cannot. freshclam names the database it saves after all that follows the URL's last slash, query
 * and fragment included (freshclam 1.4.6 saves `.../test.ndb?sig=x` as `test.ndb?sig=x`), and clamd
 * skips a file whose name does not end in a database extension ("unknown extension"): the database
 * would never load, and a token in the query would travel in the file's name with the published set.
 */
export function customDatabaseUrlProblem(url: string): string | undefined {
  const { pathname, search, hash } = new URL(url);
  if (search !== '' || hash !== '' || url.includes('?') || url.includes('#')) {
    return 'must not have a query or fragment: freshclam would name the database after it, and clamd skip the file (a token can go in the path or as user:password@)';
  }
  if (pathname.endsWith('/')) return "must end in the database's file name (such as /mydb.ndb)";
  return undefined;
}

/** Who sets a variable: the CDK app on the functions it deploys, the user of the CLI, or the Lambda runtime. */
export type SettingSource = 'deployment' | 'cli' | 'runtime';

interface SettingBase {
  readonly source: SettingSource;
  /** What it does, for people. */
  readonly doc: string;
}

export interface StringSetting extends SettingBase {
  readonly kind: 'string';
  readonly required?: true;
  readonly default?: string;
}

export interface IntegerSetting extends SettingBase {
  readonly kind: 'integer';
  /** Unset: the setting has no value (undefined) when the variable is not set. */
  readonly default?: number;
  readonly min: number;
  readonly max: number;
}

export interface ChoiceSetting extends SettingBase {
  readonly kind: 'choice';
  readonly choices: readonly string[];
  readonly default: string;
}

export interface TagKeySetting extends SettingBase {
  readonly kind: 'tag-key';
  readonly default: string;
}

/** A status value written to the status tag; one per verdict. */
export interface StatusSetting extends SettingBase {
  readonly kind: 'status';
  readonly default: string;
}

export interface UrlSetting extends SettingBase {
  readonly kind: 'url';
  readonly protocols: readonly string[];
}

/** Comma-separated; an explicitly empty variable is an empty list. */
export interface ListSetting extends SettingBase {
  readonly kind: 'list';
  readonly default: string;
  /** The values allowed, if not any. */
  readonly choices?: readonly string[];
  /** With URLs: their protocols. */
  readonly protocols?: readonly string[];
  /** With URLs: the protocols a deployed function can fetch, which the CDK app allows. */
  readonly deployedProtocols?: readonly string[];
}

export interface JsonSetting extends SettingBase {
  readonly kind: 'json';
}

/**
 * Where a value that must not be in the template is read at run time: `secretsmanager:<secret
 * ARN or name>[#<JSON field>]` or `ssm:<parameter name>` (a SecureString). The variable holds
 * only the reference; the value is read by the function that needs it (src/definitions/secret-urls.ts).
 */
export interface SecretReferenceSetting extends SettingBase {
  readonly kind: 'secret-reference';
  /** Comma-separated references; an explicitly empty variable is none. */
  readonly list?: true;
  /** The value read must be a URL of one of these protocols. */
  readonly protocols: readonly string[];
}

export type Setting =
  | StringSetting
  | IntegerSetting
  | ChoiceSetting
  | TagKeySetting
  | StatusSetting
  | UrlSetting
  | ListSetting
  | JsonSetting
  | SecretReferenceSetting;

/** A timeout in milliseconds, as each of the invocation's budgets is given. */
const timeoutMs = (doc: string, fallback: number) =>
  ({ kind: 'integer', source: 'deployment', doc, default: fallback, min: 100, max: 900_000 }) as const;

const status = (verdict: string, doc: string) =>
  ({
    kind: 'status',
    source: 'deployment',
    doc: `${doc} (no other verdict's value may equal CLEAN's or INFECTED's).`,
    default: verdict,
  }) as const;

export const SETTINGS = {
  // --- the functions' settings, set by the CDK app -------------------------------------------
  CLAMAV_BUCKET_NAME: {
    kind: 'string',
    source: 'deployment',
    required: true,
    doc: 'The bucket holding the published definitions.',
  },
  PATH_TO_AV_DEFINITIONS: {
    kind: 'string',
    source: 'deployment',
    default: '',
    doc: 'Key prefix of the definitions in that bucket, without leading or trailing slash; may be empty.',
  },
  FILE_STATUS_CLEAN: status('CLEAN', 'Status tag value of clean content'),
  FILE_STATUS_INFECTED: status('INFECTED', 'Status tag value of detected content'),
  FILE_STATUS_UNSCANNABLE: status(
    'UNSCANNABLE',
    'Status tag value of content clamd could not scan completely (encrypted, over a limit, a format it skips)',
  ),
  FILE_STATUS_SKIPPED: status(
    'SKIPPED',
    'Status tag value of an object over MAX_FILE_SIZE, never downloaded',
  ),
  FILE_STATUS_PROCESSING_ERROR: status(
    'PROCESSING_ERROR',
    'Status tag value of an object that could not be scanned',
  ),
  UNSCANNABLE_POLICY: {
    kind: 'choice',
    source: 'deployment',
    choices: UNSCANNABLE_POLICIES,
    default: 'report',
    doc: 'report: unscannable content is tagged FILE_STATUS_UNSCANNABLE; block-as-infected: tagged INFECTED. Never CLEAN either way.',
  },
  METADATA_FILE_STATUS: {
    kind: 'tag-key',
    source: 'deployment',
    default: 'av-status',
    doc: 'Tag key of the scan status.',
  },
  METADATA_FILE_TIMESTAMP: {
    kind: 'tag-key',
    source: 'deployment',
    default: 'av-timestamp',
    doc: 'Tag key of the scan time, in milliseconds since the epoch.',
  },
  WARM_CONCURRENCY: {
    kind: 'integer',
    source: 'deployment',
    default: 1,
    min: 1,
    max: 100,
    doc: 'Instances each warmer run keeps warm, the invoked one included.',
  },
  MAX_FILE_SIZE: {
    kind: 'integer',
    source: 'deployment',
    default: 314_572_800,
    min: 1,
    max: CLAMAV_MAX_FILE_SIZE,
    doc: 'Largest object scanned, in bytes; larger objects are SKIPPED without being downloaded.',
  },
  CLAMD_START_TIMEOUT_MS: timeoutMs(
    'Upper bound for clamd to load its definitions and answer PING (loading the official set takes 15-30 s).',
    120_000,
  ),
  CLAMD_SCAN_TIMEOUT_MS: timeoutMs(
    "Upper bound for one object's scan, from connecting to clamd to its answer (the object's read included); clamd's own MaxScanTime is half of it, so content that keeps clamd busy comes back UNSCANNABLE (limits-exceeded) first. A scan that times out is never sent again as it is (PROCESSING_ERROR, ScanTimeoutError) unless clamd itself stopped answering.",
    240_000,
  ),
  DEFINITIONS_DOWNLOAD_TIMEOUT_MS: timeoutMs(
    'Upper bound for downloading a set of definitions (a cold start, a refresh, the updater restoring the published set); the official set is about 300 MB.',
    60_000,
  ),
  DEFINITIONS_CHECK_INTERVAL: {
    kind: 'integer',
    source: 'deployment',
    default: 300,
    min: 0,
    max: 86_400,
    doc: 'How often a warm scanner looks for newer published definitions, in seconds.',
  },
  CLAMD_RELOAD_STRATEGY: {
    kind: 'choice',
    source: 'deployment',
    choices: RELOAD_STRATEGY_CHOICES,
    default: 'auto',
    doc: 'How a warm scanner switches to newer definitions: concurrent (zRELOAD, twice the memory), restart (scans wait), auto (concurrent when it fits in memory).',
  },
  CANARY_BUCKET_NAME: {
    kind: 'string',
    source: 'deployment',
    doc: "The bucket of the update workflow's canary objects: their scans count as no upload's.",
  },
  RESULT_EVENT_BUS: {
    kind: 'string',
    source: 'deployment',
    doc: 'The EventBridge bus (name or ARN, `default`) every final result is published to; unset: results are not published.',
  },
  INFECTED_ACTIONS: {
    kind: 'json',
    source: 'deployment',
    doc: `What happens to an object tagged INFECTED, by bucket: JSON such as {"uploads": "quarantine"} (${INFECTED_ACTIONS.join(' or ')}).`,
  },
  QUARANTINE_BUCKET_NAME: {
    kind: 'string',
    source: 'deployment',
    doc: 'Where `quarantine` puts infected objects (the actions function only).',
  },
  CLAMAV_MIRROR_URL: {
    kind: 'url',
    source: 'deployment',
    protocols: ['http:', 'https:'],
    doc: "A private mirror replacing ClamAV's official one, http(s)://host[:port]. It is in the function's configuration (and a CDK app's template): a URL holding a token belongs in CLAMAV_MIRROR_URL_SECRET.",
  },
  CLAMAV_MIRROR_URL_SECRET: {
    kind: 'secret-reference',
    source: 'deployment',
    protocols: ['http:', 'https:'],
    doc: 'Where the updater reads the private mirror URL at the start of each update run, for a URL holding a token: `secretsmanager:<secret ARN>[#<JSON field>]` or `ssm:<SecureString parameter name>`. Not with CLAMAV_MIRROR_URL.',
  },
  CLAMAV_CUSTOM_DATABASE_URLS: {
    kind: 'list',
    source: 'deployment',
    default: '',
    // file: serves `lambda-av update` on a workstation; a deployed updater fetches over HTTP.
    protocols: ['http:', 'https:', 'file:'],
    deployedProtocols: ['http:', 'https:'],
    doc: "Extra databases fetched with freshclam's DatabaseCustomURL, comma-separated URLs, each ending in the database's file name with no query or fragment (freshclam names the file after what follows the last slash). They are in the function's configuration: URLs holding a token belong in CLAMAV_CUSTOM_DATABASE_URL_SECRETS.",
  },
  CLAMAV_CUSTOM_DATABASE_URL_SECRETS: {
    kind: 'secret-reference',
    list: true,
    source: 'deployment',
    protocols: ['http:', 'https:'],
    doc: 'More DatabaseCustomURLs, each read by the updater at the start of each update run from `secretsmanager:<secret ARN>[#<JSON field>]` or `ssm:<SecureString parameter name>`; comma-separated.',
  },
  CLAMAV_OFFICIAL_DATABASES: {
    kind: 'list',
    source: 'deployment',
    default: OFFICIAL_DATABASES.join(','),
    choices: OFFICIAL_DATABASES,
    doc: `Official databases to fetch, comma-separated (${OFFICIAL_DATABASES.join(', ')}); may be empty.`,
  },
  FRESHCLAM_TIMEOUT_MS: timeoutMs('Upper bound for one freshclam run.', 300_000),
  DEFINITIONS_VERIFY_TIMEOUT_MS: timeoutMs(
    'Upper bound for loading a new set in ClamAV before it is published (clamscan loads the whole set, as clamd does).',
    300_000,
  ),
  ORGANIZATION: {
    kind: 'json',
    source: 'deployment',
    doc: 'Scanning for a whole AWS Organization (docs/organization.md): JSON {"hubAccount", "partition", "memberRoleName", "securityHub"?}. Objects of another account are read, tagged and acted on through that account\'s member role; unset: the deployment\'s own account only.',
  },
  BULK_RESCAN_TARGETS: {
    kind: 'json',
    source: 'deployment',
    doc: 'What the update workflow rescans after it publishes a new set: a JSON array of {bucket, prefix?, window?} (window like P30D).',
  },
  // --- set where the code runs outside the CDK app's functions ---------------------------------
  CLAMAV_BIN_DIR: {
    kind: 'string',
    source: 'cli',
    doc: "Directory holding clamd, clamscan, freshclam and sigtool; unset: the bundle's, else the system's.",
  },
  AV_WORK_DIR: {
    kind: 'string',
    source: 'cli',
    default: `/tmp/${SERVICE_NAME}`,
    doc: "Writable work area: definitions, clamd's socket, configuration and temporary files.",
  },
  // --- the `lambda-av` command's ----------------------------------------------------------------
  LAMBDA_AV_CACHE_DIR: {
    kind: 'string',
    source: 'cli',
    doc: `Where \`lambda-av update\` keeps definitions for local scans (default ~/.cache/${SERVICE_NAME}).`,
  },
  CLAMAV_SYSTEM_DATABASE_DIR: {
    kind: 'string',
    source: 'cli',
    default: '/var/lib/clamav',
    doc: "The system's ClamAV database directory, used for local scans when it holds databases.",
  },
  LAMBDA_AV_STATE_MACHINE_ARN: {
    kind: 'string',
    source: 'cli',
    doc: 'The deployed scan state machine, for `scan --remote` and `history`.',
  },
  LAMBDA_AV_FUNCTION_NAME: {
    kind: 'string',
    source: 'cli',
    doc: 'The deployed scanner function, for `scan --direct`.',
  },
  LAMBDA_AV_TMPDIR: {
    kind: 'string',
    source: 'cli',
    doc: "Where local scans put clamd's work area; unset: /dev/shm when it has room, else the system's temporary directory.",
  },
  LAMBDA_AV_UPDATE_STATE_MACHINE_ARN: {
    kind: 'string',
    source: 'cli',
    doc: 'The deployed update state machine, for `definitions publish`.',
  },
  LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN: {
    kind: 'string',
    source: 'cli',
    doc: 'The deployed bulk scan state machine, for `scan-bucket`.',
  },
  LAMBDA_AV_POLL_INTERVAL_MS: {
    kind: 'integer',
    source: 'cli',
    default: 5000,
    min: 10,
    max: 600_000,
    doc: 'How often `scan-bucket --wait` looks at the Map Run, in milliseconds.',
  },
  LAMBDA_AV_UPDATER_FUNCTION_NAME: {
    kind: 'string',
    source: 'cli',
    doc: 'The deployed updater function, for `definitions publish --function`.',
  },
  LAMBDA_AV_ALARM_PREFIX: {
    kind: 'string',
    source: 'cli',
    doc: "The prefix of the deployed stack's alarm names (its AlarmNamePrefix output), for `status`.",
  },
  // --- set by the Lambda runtime ----------------------------------------------------------------
  AWS_LAMBDA_FUNCTION_NAME: {
    kind: 'string',
    source: 'runtime',
    doc: 'Name of the running function, used by the warmer to fan out.',
  },
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: {
    kind: 'integer',
    source: 'runtime',
    min: 128,
    max: 10_240,
    doc: "The function's memory in MiB, which the reload strategy `auto` weighs a second engine against.",
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
type NameOf<K extends Setting['kind']> = {
  [N in SettingName]: (typeof SETTINGS)[N]['kind'] extends K ? N : never;
}[SettingName];
export type StringSettingName = NameOf<'string'>;
export type IntegerSettingName = NameOf<'integer'>;
export type TagKeySettingName = NameOf<'tag-key'>;
export type UrlSettingName = NameOf<'url'>;
export type ListSettingName = NameOf<'list'>;
export type SecretReferenceSettingName = NameOf<'secret-reference'>;

/** The services a secret reference may name (SecretReferenceSetting). */
export const SECRET_SERVICES = ['secretsmanager', 'ssm'] as const;
export type SecretService = (typeof SECRET_SERVICES)[number];

/**
 * A reference as the variables hold it: `secretsmanager:<id>[#<field>]` or `ssm:<name>`. The CDK
 * app builds it with tokens (the secret's ARN), src/config.ts parses it.
 */
export function secretReference(service: SecretService, id: string, jsonField?: string): string {
  return `${service}:${id}${jsonField === undefined ? '' : `#${jsonField}`}`;
}

/** The variables the CDK app may set on the functions it deploys. */
export type DeployedSettingName = {
  [N in SettingName]: (typeof SETTINGS)[N]['source'] extends 'deployment' ? N : never;
}[SettingName];

export const DEPLOYED_SETTING_NAMES = (Object.keys(SETTINGS) as SettingName[]).filter(
  (name): name is DeployedSettingName => SETTINGS[name].source === 'deployment',
);

/** A function's environment, by registry names only (the type checker refuses any other). */
export type FunctionEnvironment = { readonly [N in DeployedSettingName]?: string };

export const DEFAULT_MAX_FILE_SIZE = SETTINGS.MAX_FILE_SIZE.default;

/**
 * The time budgets of one invocation, in milliseconds. The CDK app sizes each function's
 * timeout from them (infra/budgets.ts).
 */
export const DEFAULT_BUDGETS_MS = {
  daemonStart: SETTINGS.CLAMD_START_TIMEOUT_MS.default,
  scan: SETTINGS.CLAMD_SCAN_TIMEOUT_MS.default,
  definitionsDownload: SETTINGS.DEFINITIONS_DOWNLOAD_TIMEOUT_MS.default,
  freshclam: SETTINGS.FRESHCLAM_TIMEOUT_MS.default,
  verify: SETTINGS.DEFINITIONS_VERIFY_TIMEOUT_MS.default,
} as const;

export interface StatusNames {
  readonly CLEAN: string;
  readonly INFECTED: string;
  /** clamd could not scan the object completely (encrypted, over a limit, a format it skips). */
  readonly UNSCANNABLE: string;
  readonly SKIPPED: string;
  readonly PROCESSING_ERROR: string;
}

/** The variable holding each verdict's status value. */
export const STATUS_SETTING = {
  CLEAN: 'FILE_STATUS_CLEAN',
  INFECTED: 'FILE_STATUS_INFECTED',
  UNSCANNABLE: 'FILE_STATUS_UNSCANNABLE',
  SKIPPED: 'FILE_STATUS_SKIPPED',
  PROCESSING_ERROR: 'FILE_STATUS_PROCESSING_ERROR',
} as const satisfies Readonly<Record<keyof StatusNames, DeployedSettingName>>;

/** FILE_STATUS_<verdict> when not set. */
export const DEFAULT_STATUS_NAMES: StatusNames = {
  CLEAN: SETTINGS.FILE_STATUS_CLEAN.default,
  INFECTED: SETTINGS.FILE_STATUS_INFECTED.default,
  UNSCANNABLE: SETTINGS.FILE_STATUS_UNSCANNABLE.default,
  SKIPPED: SETTINGS.FILE_STATUS_SKIPPED.default,
  PROCESSING_ERROR: SETTINGS.FILE_STATUS_PROCESSING_ERROR.default,
};

/**
 * The five status names, each from `nameOf`, refused with the error `refuse` makes when two are
 * alike. The clean and infected names must each be unique: a verdict sharing one (an UNSCANNABLE
 * object tagged with the clean name, say) would pass content off as something it is not. The
 * three verdicts that are neither may share a name (GuardDuty's tags call both an object over the
 * size limit and one clamd could not read UNSUPPORTED); results tell them apart by their fields.
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

/** A function's environment as Lambda takes it: the values given, by registry names only. */
export function environmentOf(values: FunctionEnvironment): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
