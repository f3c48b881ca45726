import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalServiceError } from '../errors';
import { awsErrorBody, sendAwsJson } from './aws-json';
import { keepConnectionsAlive } from './keep-alive';

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

export interface LocalCloudWatchServer {
  /** Endpoint for `new CloudWatchClient({ endpoint })` (or AWS_ENDPOINT_URL_CLOUDWATCH). */
  readonly endpoint: string;
  /** Every datapoint received with PutMetricData, in order. */
  readonly datapoints: readonly StoredDatapoint[];
  /** Replaces the alarms DescribeAlarms answers with. */
  setAlarms(alarms: readonly LocalAlarm[]): void;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';

type Json = Record<string, unknown>;

/**
 * A stand-in for three CloudWatch operations on 127.0.0.1, in the AWS JSON 1.0 protocol that
 * `@aws-sdk/client-cloudwatch` speaks (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`):
 * PutMetricData stores datapoints, GetMetricData computes statistics over them (SampleCount, Sum,
 * Average, Minimum, Maximum, pNN) in periods from the query's StartTime, DescribeAlarms answers
 * with the alarms a test sets. Any other operation is refused with an error naming it.
 */
export async function startLocalCloudWatch(
  options: { readonly port?: number } = {},
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

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      const run = operations[operation];
      try {
        if (!run) {
          throw new LocalServiceError(
            'UnknownOperationException',
            `this local CloudWatch answers PutMetricData, GetMetricData and DescribeAlarms, not ${operation || request.url}`,
          );
        }
        const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json) : {};
        sendAwsJson(response, 200, run(body));
      } catch (error) {
        sendAwsJson(response, 400, awsErrorBody(error, 'InternalFailure'));
      }
    });
  });
  keepConnectionsAlive(server);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    datapoints,
    setAlarms(next) {
      alarms = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
