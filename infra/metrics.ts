import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  type BULK_OUTCOMES,
  DIMENSION_BUCKET,
  DIMENSION_OUTCOME,
  DIMENSION_STATUS,
  METRIC_BULK_OBJECTS,
  METRIC_CANARY_DETECTED,
  METRIC_CANARY_LATENCY,
  METRIC_DAEMON_STARTUP,
  METRIC_DEFINITIONS_AGE,
  METRIC_DEFINITIONS_MISSING,
  METRIC_SCAN_LATENCY,
  METRIC_SWEEP_UNSCANNED,
  METRICS_NAMESPACE,
} from '../src/metrics';
import type { Verdict } from '../src/scan/contract';
import { SERVICE_NAME } from '../src/settings';

// The scanner's EMF metrics, as CloudWatch stores them (namespace LambdaAV, dimension service).

/** One sample per scan, in milliseconds, by verdict: its SampleCount is the number of scans. */
export function scanLatencyMetric(verdict: Verdict, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC_SCAN_LATENCY,
    dimensionsMap: { service: SERVICE_NAME, [DIMENSION_STATUS]: verdict },
    statistic,
    period,
  });
}

/** One sample per clamd cold start, in milliseconds: its SampleCount is the number of cold starts. */
export function daemonStartupMetric(statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC_DAEMON_STARTUP,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period,
  });
}

/** Age of the published definitions in hours, one sample per updater run. */
export function definitionsAgeMetric(period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC_DEFINITIONS_AGE,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: cloudwatch.Stats.MAXIMUM,
    period,
  });
}

/** 1 each time a scanner (a warmer, a scan) or the updater found no definitions published. */
export function definitionsMissingMetric(period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC_DEFINITIONS_MISSING,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: cloudwatch.Stats.SUM,
    period,
  });
}

/** The canary's verdict, one sample per update run: 1 detected, 0 not (PutMetricData by the update workflow). */
export function canaryDetectedMetric(period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC_CANARY_DETECTED,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: cloudwatch.Stats.MINIMUM,
    period,
  });
}

/** The canary's scan executions, start to end, in milliseconds. */
export function canaryLatencyMetric(statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC_CANARY_LATENCY,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period,
  });
}

/** Objects bulk scan batches went through, by outcome (SCANNED: a verdict written; UNCHANGED). */
export function bulkObjectsMetric(
  outcome: (typeof BULK_OUTCOMES)[number],
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC_BULK_OBJECTS,
    dimensionsMap: { service: SERVICE_NAME, [DIMENSION_OUTCOME]: outcome },
    statistic: cloudwatch.Stats.SUM,
    period,
  });
}

/** Objects the scheduled sweep of a bucket found without a verdict, one sample per sweep (0 included). */
export function sweepUnscannedMetric(
  bucketName: string,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRIC_SWEEP_UNSCANNED,
    dimensionsMap: { service: SERVICE_NAME, [DIMENSION_BUCKET]: bucketName },
    statistic,
    period,
  });
}
