import {
  type CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import {
  DIMENSION_ACCOUNT,
  DIMENSION_STATUS,
  METRIC_CANARY_DETECTED,
  METRIC_CANARY_LATENCY,
  METRIC_SCAN_LATENCY,
  METRICS_NAMESPACE,
} from '../metrics';
import { VERDICTS } from '../scan/contract';
import { SERVICE_NAME } from '../settings';
import { byVerdict } from './scans-by-account';
import type { CanaryReport, VerdictTable } from './status-report';

/**
 * A GetMetricData request holds at most 500 queries
 * (https://docs.aws.amazon.com/goto/WebAPI/monitoring/GetMetricData): the series of a window are
 * asked for in requests of this many (three statistics per verdict per series).
 */
const MAX_QUERIES = 500;

type Points = Map<string, Array<{ time: Date; value: number }>>;

function serviceMetric(metricName: string, extra: Record<string, string> = {}) {
  return {
    Namespace: METRICS_NAMESPACE,
    MetricName: metricName,
    Dimensions: [
      ...Object.entries(extra).map(([Name, Value]) => ({ Name, Value })),
      { Name: 'service', Value: SERVICE_NAME },
    ],
  };
}

/** One query per (id, metric, statistic), over periods of `period` seconds. */
function query(
  id: string,
  metric: ReturnType<typeof serviceMetric>,
  stat: string,
  period: number,
): MetricDataQuery {
  return { Id: id, MetricStat: { Metric: metric, Period: period, Stat: stat }, ReturnData: true };
}

async function metricData(
  cloudwatch: CloudWatchClient,
  queries: MetricDataQuery[],
  start: Date,
  end: Date,
): Promise<Points> {
  const results: Points = new Map();
  for (let first = 0; first < queries.length; first += MAX_QUERIES) {
    let token: string | undefined;
    do {
      const page = await cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(first, first + MAX_QUERIES),
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampDescending',
          NextToken: token,
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        const points = (result.Timestamps ?? []).map((time, i) => ({ time, value: result.Values?.[i] ?? 0 }));
        results.set(result.Id ?? '', [...(results.get(result.Id ?? '') ?? []), ...points]);
      }
      token = page.NextToken;
    } while (token);
  }
  return results;
}

/** The newest canary report since `start` (one datapoint per minute). */
export async function canaryStatus(
  cloudwatch: CloudWatchClient,
  start: Date,
  now: Date,
): Promise<CanaryReport> {
  const data = await metricData(
    cloudwatch,
    [
      query('detected', serviceMetric(METRIC_CANARY_DETECTED), 'Minimum', 60),
      query('latency', serviceMetric(METRIC_CANARY_LATENCY), 'Maximum', 60),
    ],
    start,
    now,
  );
  const newest = (id: string) =>
    [...(data.get(id) ?? [])].sort((a, b) => b.time.getTime() - a.time.getTime())[0];
  const detected = newest('detected');
  if (!detected) return { reported: false, since: start.toISOString() };
  const latency = (data.get('latency') ?? []).find(
    (point) => point.time.getTime() === detected.time.getTime(),
  );
  return {
    reported: true,
    time: detected.time.toISOString(),
    detected: detected.value >= 1,
    ...(latency ? { latencyMs: Math.round(latency.value) } : {}),
  };
}

/**
 * The accounts an organization hub counted scans for: the values of `Account` on the ScanLatency
 * series (src/scan/scan-metrics.ts); none on a stack for its own account. ListMetrics lists only
 * metrics with data in the past two weeks, and a new metric only up to 15 minutes after its first
 * datapoint (https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/CloudWatch/MCloudWatchListMetrics.html,
 * the ListMetrics API text): an account's first scans of a verdict are then in the totals but in
 * no account's figures, which is why `status` reports that difference apart (`withoutAccount`).
 */
export async function accountsSeen(cloudwatch: CloudWatchClient): Promise<string[]> {
  const accounts = new Set<string>();
  const names = [DIMENSION_ACCOUNT, DIMENSION_STATUS, 'service'].sort().join();
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(
      new ListMetricsCommand({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC_SCAN_LATENCY,
        Dimensions: [{ Name: DIMENSION_ACCOUNT }, { Name: 'service', Value: SERVICE_NAME }],
        NextToken: token,
      }),
    );
    for (const metric of page.Metrics ?? []) {
      const dimensions = metric.Dimensions ?? [];
      // Only the series scan-metrics.ts emits: the figures are asked for with exactly these dimensions.
      if (
        dimensions
          .map((d) => d.Name)
          .sort()
          .join() !== names
      )
        continue;
      const account = dimensions.find((d) => d.Name === DIMENSION_ACCOUNT)?.Value;
      if (account) accounts.add(account);
    }
    token = page.NextToken;
  } while (token);
  return [...accounts].sort();
}

/**
 * Scans by verdict over the last `window` seconds (count, p50 and p99 of ScanLatency) of every
 * scan, and of each account's series. One period spans the window, so each statistic is
 * CloudWatch's own over all of it.
 */
export async function scanFigures(
  cloudwatch: CloudWatchClient,
  now: Date,
  window: number,
  accounts: readonly string[],
): Promise<{ totals: VerdictTable; perAccount: Map<string, VerdictTable> }> {
  const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const start = new Date(end.getTime() - window * 1000);
  const series: Array<Record<string, string>> = [
    {},
    ...accounts.map((account) => ({ [DIMENSION_ACCOUNT]: account })),
  ];
  const queries = series.flatMap((dimensions, s) =>
    VERDICTS.flatMap((verdict) => {
      const metric = serviceMetric(METRIC_SCAN_LATENCY, { ...dimensions, [DIMENSION_STATUS]: verdict });
      const id = `s${s}_${verdict.toLowerCase()}`;
      return [
        query(`${id}_count`, metric, 'SampleCount', window),
        query(`${id}_p50`, metric, 'p50', window),
        query(`${id}_p99`, metric, 'p99', window),
      ];
    }),
  );
  const data = await metricData(cloudwatch, queries, start, end);
  const table = (s: number) => figuresOf(data, `s${s}`);
  return {
    totals: table(0),
    perAccount: new Map(accounts.map((account, i) => [account, table(i + 1)])),
  };
}

function figuresOf(data: Points, series: string): VerdictTable {
  const sum = (id: string) => (data.get(id) ?? []).reduce((total, point) => total + point.value, 0);
  const first = (id: string) => data.get(id)?.[0]?.value;
  return byVerdict((verdict) => {
    const id = `${series}_${verdict.toLowerCase()}`;
    const count = sum(`${id}_count`);
    const p50 = first(`${id}_p50`);
    const p99 = first(`${id}_p99`);
    return {
      count,
      ...(count > 0 && p50 !== undefined ? { p50: Math.round(p50) } : {}),
      ...(count > 0 && p99 !== undefined ? { p99: Math.round(p99) } : {}),
    };
  });
}
