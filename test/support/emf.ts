import {
  type CloudWatchClient,
  type MetricDatum,
  PutMetricDataCommand,
  type StandardUnit,
} from '@aws-sdk/client-cloudwatch';

type Json = Record<string, unknown>;

interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit?: string }>;
}

/**
 * The Embedded Metric Format lines `run` writes to stdout (what Lambda sends to CloudWatch Logs),
 * with Powertools metrics enabled for the call (the test setup silences them).
 */
export function captureEmf(run: () => void): Json[] {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    run();
  } finally {
    process.stdout.write = write;
    if (saved !== undefined) process.env.POWERTOOLS_METRICS_DISABLED = saved;
  }
  return lines
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Json)
    .filter((line) => typeof line._aws === 'object');
}

/**
 * Puts EMF lines into CloudWatch as CloudWatch Logs extracts them: one metric per directive,
 * dimension set and metric name, the dimensions' values and the metric's value(s) from the line's
 * own keys (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * `at` stands in for the line's timestamp, so a test can place scans in the past.
 */
export async function putEmf(cloudwatch: CloudWatchClient, lines: readonly Json[], at: Date): Promise<void> {
  const byNamespace = new Map<string, MetricDatum[]>();
  for (const line of lines) {
    const directives = (line._aws as { CloudWatchMetrics: EmfDirective[] }).CloudWatchMetrics;
    for (const directive of directives) {
      for (const set of directive.Dimensions) {
        for (const metric of directive.Metrics) {
          const value = line[metric.Name];
          const values = (Array.isArray(value) ? value : [value]).map(Number);
          const data = byNamespace.get(directive.Namespace) ?? [];
          data.push({
            MetricName: metric.Name,
            Dimensions: set.map((name) => ({ Name: name, Value: String(line[name]) })),
            Values: values,
            Timestamp: at,
            ...(metric.Unit ? { Unit: metric.Unit as StandardUnit } : {}),
          });
          byNamespace.set(directive.Namespace, data);
        }
      }
    }
  }
  for (const [Namespace, MetricData] of byNamespace) {
    await cloudwatch.send(new PutMetricDataCommand({ Namespace, MetricData }));
  }
}
