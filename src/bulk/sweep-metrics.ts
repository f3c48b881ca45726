import { type CloudWatchClient, PutMetricDataCommand, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { DIMENSION_BUCKET, METRIC_SWEEP_UNSCANNED, METRICS_NAMESPACE } from '../metrics';
import { SERVICE_NAME } from '../settings';
import type { SweepMetrics } from './sweep';

/**
 * The sweep's count, sent with PutMetricData (namespace LambdaAV, dimensions service=lambda-av and
 * Bucket), as the canary's metrics are. Not an EMF line: a call that fails fails the Summarise
 * task, so a sweep that could not report ends as a failed execution (BulkScanExecutionsFailedAlarm)
 * instead of a gap no alarm tells from a sweep that found nothing.
 */
export class CloudWatchSweepMetrics implements SweepMetrics {
  constructor(private readonly cloudwatch: CloudWatchClient) {}

  async sweepReported(bucket: string, unscanned: number): Promise<void> {
    await this.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          {
            MetricName: METRIC_SWEEP_UNSCANNED,
            Dimensions: [
              { Name: 'service', Value: SERVICE_NAME },
              { Name: DIMENSION_BUCKET, Value: bucket },
            ],
            Value: unscanned,
            Unit: StandardUnit.Count,
          },
        ],
      }),
    );
  }
}
