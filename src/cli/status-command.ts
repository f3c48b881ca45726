import { parseArgs } from 'node:util';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { createS3Client } from '../aws-clients';
import type { CliSettings } from '../config';
import { readManifest } from '../definitions/manifest';
import { type DefinitionsSet, resolvePublishedSet } from '../definitions/store';
import { DefinitionsNotPublishedError } from '../errors';
import {
  DIMENSION_STATUS,
  METRIC_CANARY_DETECTED,
  METRIC_CANARY_LATENCY,
  METRIC_SCAN_LATENCY,
  METRICS_NAMESPACE,
} from '../metrics';
import { VERDICTS, type Verdict } from '../scan/contract';
import { SERVICE_NAME } from '../settings';
import type { CommandIo } from './command-io';
import { stackOutputs } from './stack-outputs';
import { renderStatus } from './status-render';
import { needsAttention, type StackStatus, type VerdictFigures } from './status-report';
import { STATUS_HELP, UsageError } from './usage';

/** What `status` looks at, from the stack's outputs or given one by one. */
interface StatusTarget {
  readonly stack?: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly alarmPrefix: string;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
/** How far back the last canary is looked for: the update interval is at most a day. */
const CANARY_LOOKBACK = 2 * DAY;

/**
 * `lambda-av status`: a deployed stack's health on one screen, from CloudWatch (GetMetricData,
 * DescribeAlarms), the published manifest, and the stack's outputs. Exit 0 when all is well, 1
 * when something needs a look (an alarm in ALARM, the last canary not detected, no definitions).
 */
export async function statusCommand(args: string[], settings: CliSettings, io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      stack: { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      'alarm-prefix': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(STATUS_HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`status takes no arguments, got ${JSON.stringify(positionals)}`);
  const target = await resolveTarget(values, settings);
  const status = await gatherStatus(target, new Date());
  io.out(values.json ? JSON.stringify(status, null, 2) : renderStatus(status));
  return needsAttention(status) ? 1 : 0;
}

async function resolveTarget(
  values: { stack?: string; bucket?: string; prefix?: string; 'alarm-prefix'?: string },
  settings: CliSettings,
): Promise<StatusTarget> {
  const outputs = values.stack ? await stackOutputs(values.stack) : {};
  const bucket = values.bucket ?? outputs.DefinitionsBucketName ?? settings.definitionsBucket;
  const prefix = values.prefix ?? normalise(outputs.DefinitionsPrefix) ?? settings.definitionsPrefix ?? '';
  const alarmPrefix = values['alarm-prefix'] ?? outputs.AlarmNamePrefix ?? settings.alarmNamePrefix;
  if (!bucket || alarmPrefix === undefined) {
    throw new UsageError(
      'status needs --stack NAME (the stack outputs name the rest), or --bucket (CLAMAV_BUCKET_NAME) and --alarm-prefix (LAMBDA_AV_ALARM_PREFIX)',
    );
  }
  return { ...(values.stack ? { stack: values.stack } : {}), bucket, prefix, alarmPrefix };
}

/** The stack prints `(bucket root)` for an empty prefix. */
function normalise(prefix: string | undefined): string | undefined {
  return prefix === '(bucket root)' ? '' : prefix;
}

export async function gatherStatus(target: StatusTarget, now: Date): Promise<StackStatus> {
  const cloudwatch = new CloudWatchClient({});
  const s3 = createS3Client();
  try {
    const [definitions, canary, lastHour, lastDay, alarms] = await Promise.all([
      definitionsStatus(s3, target, now),
      canaryStatus(cloudwatch, now),
      scanFigures(cloudwatch, now, HOUR),
      scanFigures(cloudwatch, now, DAY),
      alarmsInAlarm(cloudwatch, target.alarmPrefix),
    ]);
    return {
      ...(target.stack ? { stack: target.stack } : {}),
      definitions,
      canary,
      scans: { lastHour, lastDay },
      alarms,
    };
  } finally {
    cloudwatch.destroy();
    s3.destroy();
  }
}

/**
 * What the scanners load, found as they find it (resolvePublishedSet): the updater's manifest, or
 * else the database files at the prefix, the plain layout `serve` and `definitions publish` leave.
 */
async function definitionsStatus(
  s3: ReturnType<typeof createS3Client>,
  target: StatusTarget,
  now: Date,
): Promise<StackStatus['definitions']> {
  const location = { bucket: target.bucket, prefix: target.prefix };
  const published = await readManifest(s3, location);
  if (published) {
    const { version, builtAt } = published.manifest;
    return { published: true, layout: 'manifest', version, builtAt, ageHours: hoursSince(builtAt, now) };
  }
  let set: DefinitionsSet;
  try {
    set = await resolvePublishedSet(s3, location);
  } catch (error) {
    if (!(error instanceof DefinitionsNotPublishedError)) throw error;
    return {
      published: false,
      reason: `no manifest.json and no database files at s3://${target.bucket}/${target.prefix ? `${target.prefix}/` : ''}`,
    };
  }
  return {
    published: true,
    layout: 'plain',
    version: set.id,
    files: set.files.map((file) => file.name),
    ...(set.publishedAt ? { uploadedAt: set.publishedAt, ageHours: hoursSince(set.publishedAt, now) } : {}),
  };
}

function hoursSince(time: string, now: Date): number {
  return Math.round(((now.getTime() - Date.parse(time)) / 3_600_000) * 10) / 10;
}

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
): Promise<Map<string, Array<{ time: Date; value: number }>>> {
  const results = new Map<string, Array<{ time: Date; value: number }>>();
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
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
  return results;
}

/** The newest canary report in the last two days (one datapoint per minute). */
async function canaryStatus(cloudwatch: CloudWatchClient, now: Date): Promise<StackStatus['canary']> {
  const start = new Date(now.getTime() - CANARY_LOOKBACK * 1000);
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
 * Scans by verdict over the last `window` seconds: count, p50 and p99 of ScanLatency. One period
 * spans the window, so each statistic is CloudWatch's own over all of it.
 */
async function scanFigures(
  cloudwatch: CloudWatchClient,
  now: Date,
  window: number,
): Promise<Record<Verdict, VerdictFigures>> {
  const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const start = new Date(end.getTime() - window * 1000);
  const queries = VERDICTS.flatMap((verdict) => {
    const metric = serviceMetric(METRIC_SCAN_LATENCY, { [DIMENSION_STATUS]: verdict });
    const id = verdict.toLowerCase();
    return [
      query(`${id}_count`, metric, 'SampleCount', window),
      query(`${id}_p50`, metric, 'p50', window),
      query(`${id}_p99`, metric, 'p99', window),
    ];
  });
  const data = await metricData(cloudwatch, queries, start, end);
  const sum = (id: string) => (data.get(id) ?? []).reduce((total, point) => total + point.value, 0);
  const first = (id: string) => data.get(id)?.[0]?.value;
  return Object.fromEntries(
    VERDICTS.map((verdict) => {
      const id = verdict.toLowerCase();
      const count = sum(`${id}_count`);
      const p50 = first(`${id}_p50`);
      const p99 = first(`${id}_p99`);
      return [
        verdict,
        {
          count,
          ...(count > 0 && p50 !== undefined ? { p50: Math.round(p50) } : {}),
          ...(count > 0 && p99 !== undefined ? { p99: Math.round(p99) } : {}),
        },
      ];
    }),
  ) as Record<Verdict, VerdictFigures>;
}

async function alarmsInAlarm(cloudwatch: CloudWatchClient, prefix: string): Promise<StackStatus['alarms']> {
  const alarms: Array<{ name: string; reason?: string; since?: string }> = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, StateValue: 'ALARM', NextToken: token }),
    );
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      alarms.push({
        name: alarm.AlarmName ?? '',
        ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
        ...(alarm.StateUpdatedTimestamp ? { since: alarm.StateUpdatedTimestamp.toISOString() } : {}),
      });
    }
    token = page.NextToken;
  } while (token);
  return alarms;
}
