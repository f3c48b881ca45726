import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Verdict } from './scan/contract';
import { SERVICE_NAME } from './settings';

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
/** Objects a bulk scan batch went through, by `Outcome`: SCANNED (a verdict written) or UNCHANGED. */
export const METRIC_BULK_OBJECTS = 'BulkScanObjects';
export const DIMENSION_OUTCOME = 'Outcome';
export const BULK_OUTCOMES = ['SCANNED', 'UNCHANGED'] as const;

/** What the scanner reports; emitted as CloudWatch Embedded Metric Format lines on stdout. */
export interface ScanMetrics {
  scanCompleted(verdict: Verdict, durationMs: number): void;
  daemonStarted(durationMs: number): void;
  definitionsMissing(): void;
  resultEventFailed(): void;
}

/** What a bulk scan batch reports, besides each scan's own metrics. */
export interface BulkMetrics {
  batchDone(counts: Readonly<Record<(typeof BULK_OUTCOMES)[number], number>>): void;
}

/** What the updater reports. */
export interface UpdaterMetrics {
  definitionsAge(hours: number): void;
  definitionsMissing(): void;
}

export class EmfScanMetrics implements ScanMetrics {
  constructor(
    private readonly metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  ) {}

  scanCompleted(verdict: Verdict, durationMs: number): void {
    const metric = this.metrics.singleMetric();
    metric.addDimension(DIMENSION_STATUS, verdict);
    metric.addMetric(METRIC_SCAN_LATENCY, MetricUnit.Milliseconds, durationMs);
  }

  daemonStarted(durationMs: number): void {
    this.metrics.singleMetric().addMetric(METRIC_DAEMON_STARTUP, MetricUnit.Milliseconds, durationMs);
  }

  definitionsMissing(): void {
    this.metrics.singleMetric().addMetric(METRIC_DEFINITIONS_MISSING, MetricUnit.Count, 1);
  }

  resultEventFailed(): void {
    this.metrics.singleMetric().addMetric(METRIC_RESULT_EVENTS_FAILED, MetricUnit.Count, 1);
  }
}

export class EmfUpdaterMetrics implements UpdaterMetrics {
  constructor(
    private readonly metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  ) {}

  definitionsAge(hours: number): void {
    this.metrics.singleMetric().addMetric(METRIC_DEFINITIONS_AGE, MetricUnit.NoUnit, hours);
  }

  definitionsMissing(): void {
    this.metrics.singleMetric().addMetric(METRIC_DEFINITIONS_MISSING, MetricUnit.Count, 1);
  }
}

export class EmfBulkMetrics implements BulkMetrics {
  constructor(
    private readonly metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  ) {}

  batchDone(counts: Readonly<Record<(typeof BULK_OUTCOMES)[number], number>>): void {
    for (const outcome of BULK_OUTCOMES) {
      if (counts[outcome] === 0) continue;
      const metric = this.metrics.singleMetric();
      metric.addDimension(DIMENSION_OUTCOME, outcome);
      metric.addMetric(METRIC_BULK_OBJECTS, MetricUnit.Count, counts[outcome]);
    }
  }
}
