import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { BULK_OUTCOMES, DIMENSION_OUTCOME, METRIC_BULK_OBJECTS, METRICS_NAMESPACE } from '../metrics';
import { SERVICE_NAME } from '../settings';

/** What a bulk scan batch reports, besides each scan's own metrics. */
export interface BulkMetrics {
  batchDone(counts: Readonly<Record<(typeof BULK_OUTCOMES)[number], number>>): void;
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
