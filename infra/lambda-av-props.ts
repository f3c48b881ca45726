import type { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type {
  OfficialDatabase,
  OnInfected,
  ReloadStrategy,
  TagPreset,
  UnscannablePolicy,
  WorkflowType,
} from './lambda-av-choices';
import type { OrganizationProps } from './organization/organization-props';
import type { ProcessingErrorThreshold } from './processing-error-threshold';
import type { ScanFilter } from './scan-filter';
import type { SecretUrl } from './secret-url';
import type { Sweep } from './sweep-settings';

/** A bucket whose objects lambda-av scans. */
export interface ScanBucket {
  /** The bucket: one of this stack, or an existing one (`s3.Bucket.fromBucketName`). */
  readonly bucket: s3.IBucket;
  /**
   * ARN of the KMS key the bucket's objects are encrypted with (SSE-KMS); the scanner gets
   * `kms:Decrypt` on it, nothing more.
   * @default none: SSE-S3 or no encryption
   */
  readonly kmsKeyArn?: string;
  /**
   * Start a scan execution for every object created in the bucket (S3 -> EventBridge
   * "Object Created" -> StartExecution, the whole event as input).
   * @default true
   */
  readonly scanOnUpload?: boolean;
  /**
   * Turn on the bucket's EventBridge notifications, without which S3 sends no "Object Created"
   * events and uploads are never scanned. For an existing bucket this goes through CDK's
   * notifications custom resource, which keeps the bucket's other notification configurations.
   * Set false when you manage the bucket's notifications yourself; turn EventBridge on there.
   * Has no effect with `scanOnUpload: false`.
   * @default true
   */
  readonly eventBridgeNotifications?: boolean;
  /**
   * Which uploads start a scan: key prefixes and suffixes to include, one exclusion, a size
   * range, all in the upload rule's event pattern (an object filtered out starts no execution
   * and gets no tag). See `ScanFilter` for what EventBridge can express.
   * @default every object created
   */
  readonly filter?: ScanFilter;
  /**
   * What happens to an INFECTED object besides its tag: `QUARANTINE` moves it to the stack's
   * quarantine bucket (copied, verified, then the scanned version deleted), `DELETE` deletes the
   * scanned version. Carried out by the actions workflow, with permissions only it has.
   * SKIPPED, UNSCANNABLE (under `report`) and PROCESSING_ERROR objects are never moved.
   * @default OnInfected.TAG
   */
  readonly onInfected?: OnInfected;
  /**
   * Deny `s3:GetObject` on the bucket's objects unless tagged with the CLEAN status, and let
   * nobody but the scanner set or change the scan tags (infra/block-reads.ts). The bucket must be
   * defined in the same stack; for another bucket, docs/deploy.md gives the statement to add.
   * @default false
   */
  readonly blockReadsUntilClean?: boolean;
  /** With `blockReadsUntilClean`: more roles that read objects whatever their status. @default none */
  readonly readExemptRoles?: iam.IRole[];
}

/** A bucket, or a prefix of one, that the update workflow rescans after new definitions. */
export interface RescanTarget {
  /** One of `scanBuckets`, or a member account's bucket with `account` (an organization hub). */
  readonly bucket: s3.IBucket;
  /**
   * The member account owning the bucket, on an organization hub (docs/organization.md): it is
   * rescanned through the account's member role.
   * @default the stack's own account
   */
  readonly account?: string;
  /** Key prefix of the objects rescanned. @default '' (the whole bucket) */
  readonly prefix?: string;
}

/**
 * After each update that publishes a new set (and whose canary detected), a "stale" bulk scan of
 * each target: objects modified within `window` whose scan predates the new set.
 */
export interface RescanAfterUpdate {
  /** What is rescanned: scanned buckets, or prefixes of them. */
  readonly targets: RescanTarget[];
  /** Objects last modified within this window, in whole minutes. @default every object, whatever its age */
  readonly window?: Duration;
}

/** Scanning whole buckets (statemachine/bulk-scan.asl.json; docs/deploy.md "Bulk scans"). */
export interface BulkScanOptions {
  /**
   * The most batches scanned at once, each one scanner invocation; a request asking for more is
   * capped to it. With `reservedConcurrency`, it must leave the upload scans at least
   * `provisionedConcurrency` (or 1) instances of it.
   * @default half of `reservedConcurrency` (at most what it leaves the uploads), else 2 (the
   * account's unreserved pool may be as small as 10 on a new account, shared by every function)
   */
  readonly maxConcurrency?: number;
  /**
   * Objects per batch when a request names none (at most 500).
   * @default 100, chosen by measurement (BENCHMARKS.md, "Bulk scans")
   */
  readonly batchSize?: number;
  /** How long bulk scan reports are kept. @default Duration.days(90) */
  readonly reportRetention?: Duration;
  /** Buckets holding S3 Inventory reports of the scanned buckets, for requests that name a manifest. @default none */
  readonly inventoryBuckets?: s3.IBucket[];
  /**
   * After each update that publishes a new set (and whose canary detected), start a "stale" bulk
   * scan of each target.
   * @default no rescans
   */
  readonly rescanAfterUpdate?: RescanAfterUpdate;
}

/** The scan status values written to the status tag and returned in results. */
export interface StatusValues {
  /** The status of an object scanned and found clean. @default 'CLEAN' */
  readonly clean?: string;
  /** The status of an object in which clamd found a signature. @default 'INFECTED' */
  readonly infected?: string;
  /** Content clamd could not scan completely (FILE_STATUS_UNSCANNABLE). @default 'UNSCANNABLE' */
  readonly unscannable?: string;
  /** The status of an object over `maxFileSize`, not read. @default 'SKIPPED' */
  readonly skipped?: string;
  /** The status of an object whose scan failed. @default 'PROCESSING_ERROR' */
  readonly processingError?: string;
}

export interface LambdaAvProps {
  /**
   * The code of both functions (`lambda.zip`).
   * @default the package's prebuilt zip for `architecture`; in a checkout of the repository,
   * built at synth time by `./build_lambda.sh --arch <architecture>`
   */
  readonly code?: lambda.Code;
  /** The functions' architecture. @default lambda.Architecture.X86_64 */
  readonly architecture?: lambda.Architecture;

  /**
   * An existing bucket for the definitions, used as it is.
   * @default a new bucket (SSE-S3, public access blocked, TLS only, versioned, access logged)
   */
  readonly definitionsBucket?: s3.IBucket;
  /**
   * KMS key of an existing definitions bucket that uses SSE-KMS.
   * @default none
   */
  readonly definitionsBucketKey?: kms.IKey;
  /**
   * Key prefix of the definitions (PATH_TO_AV_DEFINITIONS), without leading or trailing slash.
   * @default 'av-definitions'
   */
  readonly definitionsPrefix?: string;
  /**
   * Where the new definitions bucket writes its server access logs.
   * @default a new bucket
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * What happens to the buckets and log groups this construct creates when it is removed.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Buckets to scan: the scanner may read and tag their objects, the scan state machine may
   * read their metadata.
   * @default none
   */
  readonly scanBuckets?: ScanBucket[];

  /**
   * The scan state machine: `STANDARD` keeps each execution's history for 90 days and waits in
   * the execution for throttling and cold starts; `EXPRESS` costs far less per scan, keeps its
   * history only in CloudWatch Logs, and gets an SQS queue in front whose redeliveries carry the
   * retries (`retryBudget`). Changing it replaces the scan state machine.
   * @default WorkflowType.STANDARD
   */
  readonly workflowType?: WorkflowType;
  /**
   * How long a scan waits out what says nothing about its object (Lambda throttling and service
   * errors, a clamd still starting) before it is tagged PROCESSING_ERROR. Standard: the scan
   * machine's retries, with full jitter and waits of at most 2 minutes, last this long on
   * average. Express: the queue delivers the upload's event again (5.5 minutes apart) for this
   * long. Size it above the longest burst the scanner's concurrency takes to drain.
   * @default Duration.minutes(30)
   */
  readonly retryBudget?: Duration;

  /**
   * Largest object scanned, in bytes (MAX_FILE_SIZE); larger objects are tagged SKIPPED
   * without being read. At most 2 GiB - 1, ClamAV's limit.
   * @default 314572800 (300 MiB)
   */
  readonly maxFileSize?: number;
  /** The scanner's memory, in MiB. @default 2048 */
  readonly scannerMemorySize?: number;
  /**
   * The scanner's timeout. It must hold a cold start with margin: definitionsDownloadTimeout +
   * daemonStartTimeout + scanTimeout, plus 10 % (checked at synth).
   * @default that sum with margin, in whole minutes (8 minutes with the default budgets)
   */
  readonly scannerTimeout?: Duration;
  /**
   * How long a cold scanner may take to download the definitions (DEFINITIONS_DOWNLOAD_TIMEOUT_MS);
   * the updater has as long to restore them and to upload a new set.
   * @default Duration.seconds(60)
   */
  readonly definitionsDownloadTimeout?: Duration;
  /** How long clamd may take to load the definitions and answer (CLAMD_START_TIMEOUT_MS). @default Duration.seconds(120) */
  readonly daemonStartTimeout?: Duration;
  /**
   * How long one object's scan may take (CLAMD_SCAN_TIMEOUT_MS). clamd itself gives up after half
   * of it (its MaxScanTime) and the object is UNSCANNABLE. @default Duration.seconds(240)
   */
  readonly scanTimeout?: Duration;
  /**
   * The scanner's /tmp.
   * @default computed from maxFileSize: two definitions sets + the spooled object + what clamd
   * may extract from it (4 x maxFileSize, below 2 GiB) + headroom; 3036 MiB for 300 MiB
   */
  readonly scannerEphemeralStorageSize?: Size;
  /**
   * The scanner's reserved concurrency, shared by upload scans and bulk scans (whose batches are
   * capped by `bulkScan.maxConcurrency`).
   * @default none (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
  /**
   * Provisioned concurrency on a `live` alias, which the state machine and the warmer invoke.
   * @default none
   */
  readonly provisionedConcurrency?: number;
  /**
   * How often a warm scanner checks for newer definitions (DEFINITIONS_CHECK_INTERVAL).
   * @default Duration.minutes(5)
   */
  readonly definitionsCheckInterval?: Duration;
  /** How a warm scanner switches to newer definitions (CLAMD_RELOAD_STRATEGY). @default ReloadStrategy.AUTO */
  readonly reloadStrategy?: ReloadStrategy;
  /**
   * Each must differ from the others (checked at synth).
   * @default the scanner's defaults (CLEAN, INFECTED, UNSCANNABLE, SKIPPED, PROCESSING_ERROR)
   */
  readonly statusValues?: StatusValues;
  /**
   * What objects clamd could not scan completely (encrypted, over a limit, a format it skips) are
   * tagged (UNSCANNABLE_POLICY): `REPORT` tags them with `statusValues.unscannable`;
   * `BLOCK_AS_INFECTED` tags them INFECTED, as before the UNSCANNABLE verdict existed. Their
   * results say they were unscannable and their metrics count them as UNSCANNABLE either way, so
   * the infected-objects alarm counts only real detections.
   * @default UnscannablePolicy.REPORT
   */
  readonly unscannablePolicy?: UnscannablePolicy;
  /** Tag key of the status (METADATA_FILE_STATUS). @default 'av-status' */
  readonly statusTagKey?: string;
  /**
   * `GUARDDUTY`: the status tag and values of GuardDuty Malware Protection for S3
   * (`GuardDutyMalwareScanStatus`: NO_THREATS_FOUND, THREATS_FOUND, UNSUPPORTED for SKIPPED and
   * UNSCANNABLE, FAILED), for teams moving from AWS's managed scanning. Not with `statusTagKey`
   * or `statusValues`.
   * @default none
   */
  readonly tagPreset?: TagPreset;
  /**
   * The bus every final result is published to as a "Scan Result" event (README, "Result
   * events"); the actions workflow listens there too.
   * @default the account's default event bus
   */
  readonly resultEventBus?: events.IEventBus;
  /** How long the quarantine bucket keeps objects. @default Duration.days(90) */
  readonly quarantineRetention?: Duration;
  /** The one role, besides the actions function, that may read quarantined objects. @default none */
  readonly quarantineReadRole?: iam.IRole;
  /** Tag key of the scan time (METADATA_FILE_TIMESTAMP). @default 'av-timestamp' */
  readonly timestampTagKey?: string;

  /** Send `{"warmer": true}` to the scanner on a schedule. @default true */
  readonly warmerEnabled?: boolean;
  /** How often the warmer runs, in whole minutes. @default Duration.minutes(5) */
  readonly warmerInterval?: Duration;
  /**
   * Instances each warmer run keeps warm, itself included (WARM_CONCURRENCY, 1-100). Above 1 the
   * scanner invokes its own function, and gets permission to.
   * @default 1
   */
  readonly warmConcurrency?: number;

  /**
   * The updater's memory. Verifying ClamAV's official set loads it completely (about 1.5 GB).
   * @default 2048
   */
  readonly updaterMemorySize?: number;
  /**
   * The updater's timeout. It must hold one run with margin: 2 x definitionsDownloadTimeout +
   * freshclamTimeout + verifyTimeout, plus 10 % (checked at synth).
   * @default that sum with margin, in whole minutes (14 minutes with the default budgets)
   */
  readonly updaterTimeout?: Duration;
  /** How long one freshclam run may take (FRESHCLAM_TIMEOUT_MS). @default Duration.seconds(300) */
  readonly freshclamTimeout?: Duration;
  /**
   * How long loading a new set in ClamAV, before it is published, may take
   * (DEFINITIONS_VERIFY_TIMEOUT_MS). @default Duration.seconds(300)
   */
  readonly verifyTimeout?: Duration;
  /** The updater's /tmp. @default Size.mebibytes(2048) */
  readonly updaterEphemeralStorageSize?: Size;
  /** How often the update workflow runs. @default Duration.hours(3) */
  readonly updateInterval?: Duration;
  /** Run the updater during deployment, so a new stack has definitions before its first scan. @default true */
  readonly updateOnDeploy?: boolean;
  /**
   * A private mirror replacing ClamAV's (CLAMAV_MIRROR_URL), `http(s)://host[:port]`. The string
   * lands in the template and the updater's configuration: a URL carrying a token belongs in
   * `mirrorUrlSecret`.
   * @default ClamAV's official mirror
   */
  readonly mirrorUrl?: string;
  /**
   * A private mirror whose URL carries a token: read by the updater from Secrets Manager or SSM
   * at the start of each update run (CLAMAV_MIRROR_URL_SECRET), so no template or log holds it.
   * Not with `mirrorUrl`.
   * @default no secret mirror
   */
  readonly mirrorUrlSecret?: SecretUrl;
  /**
   * Extra databases fetched with freshclam's DatabaseCustomURL (CLAMAV_CUSTOM_DATABASE_URLS),
   * each ending in the database's file name with no query or fragment (freshclam names the file
   * after what follows the last slash, and clamd loads only known extensions). The strings land
   * in the template: URLs carrying a token belong in `customDatabaseUrlSecrets`.
   * @default none
   */
  readonly customDatabaseUrls?: string[];
  /**
   * More DatabaseCustomURLs, each read by the updater from Secrets Manager or SSM at the start
   * of each update run (CLAMAV_CUSTOM_DATABASE_URL_SECRETS), fetched after `customDatabaseUrls`.
   * @default none
   */
  readonly customDatabaseUrlSecrets?: SecretUrl[];
  /**
   * Official databases to fetch (CLAMAV_OFFICIAL_DATABASES); may be empty.
   * @default all three: MAIN, DAILY, BYTECODE
   */
  readonly officialDatabases?: OfficialDatabase[];

  /** Where the alarms are sent. @default a new topic encrypted with a new KMS key */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Make this stack the hub of an AWS Organization: it scans objects of member accounts that
   * deploy LambdaAvMember (infra/organization/, docs/organization.md).
   * @default this account's buckets only
   */
  readonly organization?: OrganizationProps;
  /** E-mail addresses subscribed to the new alarm topic. @default none */
  readonly alarmEmails?: string[];
  /**
   * Age of the published definitions above which DefinitionsAgeAlarm fires; longer than
   * `updateInterval`. @default Duration.hours(24)
   */
  readonly definitionsAgeThreshold?: Duration;
  /** p99 scan latency above which the latency alarm fires. @default Duration.seconds(60) */
  readonly scanLatencyThreshold?: Duration;
  /**
   * Slowest canary scan execution (start to end, through the scan state machine) above which
   * the canary latency alarm fires.
   * @default Duration.minutes(2)
   */
  readonly canaryLatencyThreshold?: Duration;
  /**
   * PROCESSING_ERROR results that raise an alarm within 15 minutes: a share of all scans
   * (`ProcessingErrorThreshold.percent`, counted from 10 scans up) or a number of them
   * (`ProcessingErrorThreshold.count`).
   * @default ProcessingErrorThreshold.percent(5)
   */
  readonly processingErrorThreshold?: ProcessingErrorThreshold;
  /**
   * UNSCANNABLE results within 15 minutes that raise an alarm (UnscannableObjectsAlarm), whatever
   * `unscannablePolicy` tags them.
   * @default no alarm (the dashboard still shows them)
   */
  readonly unscannableAlarmThreshold?: number;
  /**
   * Sweep every bucket scanned on upload on a schedule, for objects the event path left without a
   * verdict (`Sweep.daily()`, `Sweep.onSchedule(...)`, or `Sweep.off()`).
   * @default Sweep.daily()
   */
  readonly sweep?: Sweep;
  /** Bulk scans and rescans after new definitions. @default bulk scans on demand, no rescans */
  readonly bulkScan?: BulkScanOptions;
  /** Retention of the Lambda and state machine logs. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}
