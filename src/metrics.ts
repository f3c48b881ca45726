/**
 * The names of lambda-av's CloudWatch metrics and dimensions: what the functions emit and what the
 * construct's alarms and dashboard read (infra/metrics.ts). Who emits each: scan/scan-metrics.ts,
 * bulk/bulk-metrics.ts, definitions/updater-metrics.ts, canary/canary-metrics.ts, bulk/sweep-metrics.ts.
 */
export const METRICS_NAMESPACE = 'LambdaAV';
export const METRIC_SCAN_LATENCY = 'ScanLatency';
export const METRIC_DAEMON_STARTUP = 'DaemonStartupTime';
export const METRIC_DEFINITIONS_AGE = 'DefinitionsAgeHours';
/** 1 each time a scanner or the updater finds no definitions published. */
export const METRIC_DEFINITIONS_MISSING = 'DefinitionsMissing';
/** Published by the update workflow's canary (PutMetricData): 1 when EICAR and the clean object got their verdicts. */
export const METRIC_CANARY_DETECTED = 'CanaryDetected';
/** The canary's scan executions, start to end, in milliseconds. */
export const METRIC_CANARY_LATENCY = 'CanaryScanLatency';
/** 1 each time a result could not be published to EventBridge after retries (its tag is written). */
export const METRIC_RESULT_EVENTS_FAILED = 'ResultEventsFailed';
/**
 * Published by the scheduled sweep (PutMetricData), one sample per sweep of a bucket: the objects
 * it found without a verdict, 0 included, dimensions service and Bucket.
 */
export const METRIC_SWEEP_UNSCANNED = 'SweepUnscannedObjects';
export const DIMENSION_BUCKET = 'Bucket';
/** The dimension on scan metrics; its values are the canonical verdicts, whatever the status names. */
export const DIMENSION_STATUS = 'Status';
/**
 * On an organization hub (docs/organization.md), a second ScanLatency series per member account,
 * dimensions Account and Status; the series without Account still counts every scan, so alarms
 * and dashboards see all accounts.
 */
export const DIMENSION_ACCOUNT = 'Account';
/** Objects a bulk scan batch went through, by `Outcome`: SCANNED (a verdict written) or UNCHANGED. */
export const METRIC_BULK_OBJECTS = 'BulkScanObjects';
export const DIMENSION_OUTCOME = 'Outcome';
export const BULK_OUTCOMES = ['SCANNED', 'UNCHANGED'] as const;
