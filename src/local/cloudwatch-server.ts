import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LocalServiceError } from '../errors';
import { LOCAL_REGION } from './object-created-event';
import { startJsonServer } from './protocol/json-protocol';
import { type LocalCredentials, type LocalEndpoint, newLocalCredentials } from './protocol/local-credentials';

/** One value CloudWatch would store: a metric (namespace, name, dimensions) at a time. */
export interface StoredDatapoint {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly value: number;
  readonly unit?: string;
}

/** An alarm as DescribeAlarms reports it. */
export interface LocalAlarm {
  readonly AlarmName: string;
  readonly StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly StateReason?: string;
  readonly AlarmDescription?: string;
  /** Milliseconds since the epoch. */
  readonly StateUpdatedTimestamp?: number;
}

export interface LocalCloudWatchServer extends LocalEndpoint {
  /** Every datapoint received with PutMetricData, in order. */
  readonly datapoints: readonly StoredDatapoint[];
  /** Replaces the alarms DescribeAlarms answers with. */
  setAlarms(alarms: readonly LocalAlarm[]): void;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

/** ListMetrics leaves out metrics without data in the past two weeks. */
const LIST_METRICS_WINDOW_MS = 14 * 24 * 3_600_000;

/**
 * A stand-in for four CloudWatch operations on 127.0.0.1, in the AWS JSON 1.0 protocol that
 * `@aws-sdk/client-cloudwatch` speaks (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`):
 * PutMetricData stores datapoints, GetMetricData computes statistics over them (SampleCount, Sum,
 * Average, Minimum, Maximum, pNN) in periods from the query's StartTime, ListMetrics lists the
 * metrics with datapoints in the past two weeks (at once: CloudWatch may take up to 15 minutes),
 * DescribeAlarms answers with the alarms a test sets. Any other operation is refused with an error
 * naming it.
 */
export async function startLocalCloudWatch(
  options: { readonly port?: number; readonly credentials?: LocalCredentials } = {},
): Promise<LocalCloudWatchServer> {
  const datapoints: StoredDatapoint[] = [];
  let alarms: readonly LocalAlarm[] = [];

  const operations: Record<string, (body: Json) => Json> = {
    PutMetricData(body) {
      const namespace = String(body.Namespace ?? '');
      for (const datum of (body.MetricData as Json[] | undefined) ?? []) {
        const base = {
          namespace,
          metricName: String(datum.MetricName ?? ''),
          dimensions: dimensionsOf(datum.Dimensions),
          timestamp: typeof datum.Timestamp === 'number' ? datum.Timestamp * 1000 : Date.now(),
          ...(typeof datum.Unit === 'string' ? { unit: datum.Unit } : {}),
        };
        const values = Array.isArray(datum.Values) ? (datum.Values as number[]) : [datum.Value as number];
        const counts = Array.isArray(datum.Counts) ? (datum.Counts as number[]) : values.map(() => 1);
        values.forEach((value, i) => {
          for (let n = 0; n < (counts[i] ?? 1); n++) datapoints.push({ ...base, value });
        });
      }
      return {};
    },
    GetMetricData(body) {
      const start = Number(body.StartTime) * 1000;
      const end = Number(body.EndTime) * 1000;
      const results = ((body.MetricDataQueries as Json[] | undefined) ?? []).map((query) => {
        const stat = query.MetricStat as Json | undefined;
        if (!stat)
          throw new LocalServiceError(
            'InvalidParameterValue',
            'this local CloudWatch answers MetricStat queries only',
          );
        const metric = stat.Metric as Json;
        const period = Number(stat.Period) * 1000;
        const wanted = dimensionsOf(metric.Dimensions);
        const matching = datapoints.filter(
          (point) =>
            point.namespace === metric.Namespace &&
            point.metricName === metric.MetricName &&
            sameDimensions(point.dimensions, wanted) &&
            point.timestamp >= start &&
            point.timestamp < end,
        );
        const buckets = new Map<number, number[]>();
        for (const point of matching) {
          const bucket = start + Math.floor((point.timestamp - start) / period) * period;
          buckets.set(bucket, [...(buckets.get(bucket) ?? []), point.value]);
        }
        // Newest first, as CloudWatch's default ScanBy (TimestampDescending).
        const times = [...buckets.keys()].sort((a, b) => b - a);
        return {
          Id: query.Id,
          Label: metric.MetricName,
          Timestamps: times.map((time) => time / 1000),
          Values: times.map((time) => statistic(String(stat.Stat), buckets.get(time) ?? [])),
          StatusCode: 'Complete',
        };
      });
      return { MetricDataResults: results, Messages: [] };
    },
    ListMetrics(body) {
      if (body.RecentlyActive !== undefined || body.IncludeLinkedAccounts !== undefined)
        throw new LocalServiceError(
          'InvalidParameterValue',
          'this local CloudWatch lists by Namespace, MetricName and Dimensions only',
        );
      const filters = ((body.Dimensions as Json[] | undefined) ?? []).map((filter) => ({
        name: String(filter.Name),
        value: typeof filter.Value === 'string' ? filter.Value : undefined,
      }));
      const since = Date.now() - LIST_METRICS_WINDOW_MS;
      const metrics = new Map<string, Json>();
      for (const point of datapoints) {
        if (point.timestamp < since) continue;
        if (body.Namespace !== undefined && point.namespace !== body.Namespace) continue;
        if (body.MetricName !== undefined && point.metricName !== body.MetricName) continue;
        const matches = filters.every(
          ({ name, value }) =>
            Object.hasOwn(point.dimensions, name) &&
            (value === undefined || point.dimensions[name] === value),
        );
        if (!matches) continue;
        const dimensions = Object.entries(point.dimensions)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([Name, Value]) => ({ Name, Value }));
        const metric = { Namespace: point.namespace, MetricName: point.metricName, Dimensions: dimensions };
        metrics.set(JSON.stringify(metric), metric);
      }
      return { Metrics: [...metrics.values()] };
    },
    DescribeAlarms(body) {
      const prefix = typeof body.AlarmNamePrefix === 'string' ? body.AlarmNamePrefix : '';
      const state = typeof body.StateValue === 'string' ? body.StateValue : undefined;
      const selected = alarms.filter(
        (alarm) => alarm.AlarmName.startsWith(prefix) && (state === undefined || alarm.StateValue === state),
      );
      return {
        MetricAlarms: selected.map((alarm) => ({
          ...alarm,
          ...(alarm.StateUpdatedTimestamp !== undefined
            ? { StateUpdatedTimestamp: alarm.StateUpdatedTimestamp / 1000 }
            : {}),
        })),
        CompositeAlarms: [],
      };
    },
  };

  const credentials = options.credentials ?? newLocalCredentials();
  const server = await startJsonServer(
    {
      targetPrefix: 'GraniteServiceVersion20100801',
      version: '1.0',
      label: 'the local CloudWatch endpoint of lambda-av',
      operations,
    },
    { service: 'monitoring', credentials, ...(options.port !== undefined ? { port: options.port } : {}) },
  );
  return {
    endpoint: server.endpoint,
    credentials,
    datapoints,
    setAlarms(next) {
      alarms = next;
    },
    stop: () => server.stop(),
  };
}

/** A CloudWatch client for a local endpoint. */
export function localCloudWatchClient(server: LocalEndpoint): CloudWatchClient {
  return new CloudWatchClient({
    endpoint: server.endpoint,
    region: LOCAL_REGION,
    credentials: server.credentials,
  });
}

function dimensionsOf(value: unknown): Record<string, string> {
  const dimensions: Record<string, string> = {};
  for (const item of (value as Json[] | undefined) ?? []) dimensions[String(item.Name)] = String(item.Value);
  return dimensions;
}

function sameDimensions(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** A CloudWatch statistic over one period's values; percentiles by nearest rank. */
export function statistic(stat: string, values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  switch (stat) {
    case 'SampleCount':
      return sorted.length;
    case 'Sum':
      return sum;
    case 'Average':
      return sorted.length === 0 ? 0 : sum / sorted.length;
    case 'Minimum':
      return sorted[0] ?? 0;
    case 'Maximum':
      return sorted.at(-1) ?? 0;
  }
  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(stat);
  if (!percentile) throw new LocalServiceError('InvalidParameterValue', `unknown statistic ${stat}`);
  const rank = Math.ceil((Number(percentile[1]) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] ?? 0;
}
