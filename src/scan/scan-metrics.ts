import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  DIMENSION_ACCOUNT,
  DIMENSION_STATUS,
  METRIC_DAEMON_STARTUP,
  METRIC_DEFINITIONS_MISSING,
  METRIC_RESULT_EVENTS_FAILED,
  METRIC_SCAN_LATENCY,
  METRICS_NAMESPACE,
} from '../metrics';
import { SERVICE_NAME } from '../settings';
import type { Verdict } from './contract';

/** What the scanner reports; emitted as CloudWatch Embedded Metric Format lines on stdout. */
export interface ScanMetrics {
  /** `account`: a member account's object (an organization hub), counted per account as well. */
  scanCompleted(verdict: Verdict, durationMs: number, account?: string): void;
  daemonStarted(durationMs: number): void;
  definitionsMissing(): void;
  resultEventFailed(): void;
}

export class EmfScanMetrics implements ScanMetrics {
  constructor(
    private readonly metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  ) {}

  scanCompleted(verdict: Verdict, durationMs: number, account?: string): void {
    const metric = this.metrics.singleMetric();
    metric.addDimension(DIMENSION_STATUS, verdict);
    metric.addMetric(METRIC_SCAN_LATENCY, MetricUnit.Milliseconds, durationMs);
    if (account === undefined) return;
    const perAccount = this.metrics.singleMetric();
    perAccount.addDimension(DIMENSION_ACCOUNT, account);
    perAccount.addDimension(DIMENSION_STATUS, verdict);
    perAccount.addMetric(METRIC_SCAN_LATENCY, MetricUnit.Milliseconds, durationMs);
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
