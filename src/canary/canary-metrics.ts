import { type CloudWatchClient, PutMetricDataCommand, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { METRIC_CANARY_DETECTED, METRIC_CANARY_LATENCY, METRICS_NAMESPACE } from '../metrics';
import { SERVICE_NAME } from '../settings';
import type { CanaryReport } from './report';

/** Where a canary run is reported. */
export interface CanaryMetrics {
  canaryReported(report: CanaryReport): Promise<void>;
}

/**
 * The canary's metrics, sent with PutMetricData (namespace LambdaAV, dimension service=lambda-av):
 * `CanaryDetected` 1 or 0, and `CanaryScanLatency` for each scan execution that ended. A run
 * always reports `CanaryDetected`, so its absence means the workflow stopped running.
 */
export class CloudWatchCanaryMetrics implements CanaryMetrics {
  constructor(private readonly cloudwatch: CloudWatchClient) {}

  async canaryReported(report: CanaryReport): Promise<void> {
    const dimensions = [{ Name: 'service', Value: SERVICE_NAME }];
    const latencies = report.scans
      .map((scan) => scan.latencyMs)
      .filter((ms): ms is number => ms !== undefined);
    await this.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          {
            MetricName: METRIC_CANARY_DETECTED,
            Dimensions: dimensions,
            Value: report.detected ? 1 : 0,
            Unit: StandardUnit.Count,
          },
          ...(latencies.length > 0
            ? [
                {
                  MetricName: METRIC_CANARY_LATENCY,
                  Dimensions: dimensions,
                  Values: latencies,
                  Unit: StandardUnit.Milliseconds,
                },
              ]
            : []),
        ],
      }),
    );
  }
}
