import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_DEFINITIONS_AGE, METRIC_DEFINITIONS_MISSING, METRICS_NAMESPACE } from '../metrics';
import { SERVICE_NAME } from '../settings';

/** What the updater reports. */
export interface UpdaterMetrics {
  definitionsAge(hours: number): void;
  definitionsMissing(): void;
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
