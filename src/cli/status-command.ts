import { parseArgs } from 'node:util';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { STSClient } from '@aws-sdk/client-sts';
import { createS3Client } from '../aws-clients';
import { ACCOUNT_ID, type CliSettings } from '../config';
import { readManifest } from '../definitions/manifest';
import { type DefinitionsSet, resolvePublishedSet } from '../definitions/store';
import { DefinitionsNotPublishedError } from '../errors';
import { callerAccount } from './caller-account';
import type { CommandIo } from './command-io';
import { scansByAccount, type WindowFigures } from './scans-by-account';
import { stackOutputs } from './stack-outputs';
import { accountsSeen, canaryStatus, scanFigures } from './status-metrics';
import { renderStatus } from './status-render';
import { type DefinitionsReport, needsAttention, type StackStatus, type VerdictTable } from './status-report';
import { STATUS_HELP, UsageError } from './usage';

/** What `status` looks at, from the stack's outputs or given one by one. */
interface StatusTarget {
  readonly stack?: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly alarmPrefix: string;
  /** `--account`: the scans of this account only. */
  readonly only?: string;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
/** How far back the last canary is looked for: the update interval is at most a day. */
const CANARY_LOOKBACK = 2 * DAY;

/**
 * `lambda-av status`: a deployed stack's health on one screen, from CloudWatch (GetMetricData,
 * ListMetrics, DescribeAlarms), the published manifest, the stack's outputs, and the account the
 * credentials act in (STS GetCallerIdentity), which every line names. Exit 0 when all is well, 1
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
      account: { type: 'string' },
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
  values: { stack?: string; bucket?: string; prefix?: string; 'alarm-prefix'?: string; account?: string },
  settings: CliSettings,
): Promise<StatusTarget> {
  const only = values.account;
  if (only !== undefined && !ACCOUNT_ID.test(only))
    throw new UsageError(`--account must be a 12-digit AWS account id, got ${JSON.stringify(only)}`);
  const outputs = values.stack ? await stackOutputs(values.stack) : {};
  const bucket = values.bucket ?? outputs.DefinitionsBucketName ?? settings.definitionsBucket;
  const prefix = values.prefix ?? normalise(outputs.DefinitionsPrefix) ?? settings.definitionsPrefix ?? '';
  const alarmPrefix = values['alarm-prefix'] ?? outputs.AlarmNamePrefix ?? settings.alarmNamePrefix;
  if (!bucket || alarmPrefix === undefined) {
    throw new UsageError(
      'status needs --stack NAME (the stack outputs name the rest), or --bucket (CLAMAV_BUCKET_NAME) and --alarm-prefix (LAMBDA_AV_ALARM_PREFIX)',
    );
  }
  return {
    ...(values.stack ? { stack: values.stack } : {}),
    bucket,
    prefix,
    alarmPrefix,
    ...(only !== undefined ? { only } : {}),
  };
}

/** The stack prints `(bucket root)` for an empty prefix. */
function normalise(prefix: string | undefined): string | undefined {
  return prefix === '(bucket root)' ? '' : prefix;
}

export async function gatherStatus(target: StatusTarget, now: Date): Promise<StackStatus> {
  const cloudwatch = new CloudWatchClient({});
  const s3 = createS3Client();
  const sts = new STSClient({});
  try {
    const [account, definitions, canary, scans, alarms] = await Promise.all([
      callerAccount(sts),
      definitionsStatus(s3, target, now),
      canaryStatus(cloudwatch, new Date(now.getTime() - CANARY_LOOKBACK * 1000), now),
      scansStatus(cloudwatch, now),
      alarmsInAlarm(cloudwatch, target.alarmPrefix),
    ]);
    return {
      ...(target.stack ? { stack: target.stack } : {}),
      account,
      definitions: { account, ...definitions },
      canary: { account, ...canary },
      scans: {
        ...scans.totals,
        ...scansByAccount({
          own: account,
          ...scans,
          ...(target.only !== undefined ? { only: target.only } : {}),
        }),
      },
      alarms: alarms.map((alarm) => ({ account, ...alarm })),
    };
  } finally {
    cloudwatch.destroy();
    s3.destroy();
    sts.destroy();
  }
}

/**
 * The scans of the last hour and the last day: every account's, and each account's the metrics
 * name (an organization hub). Every account seen is asked for, `--account` too: whether any
 * account is named at all says whether this is a hub (src/cli/scans-by-account.ts).
 */
async function scansStatus(
  cloudwatch: CloudWatchClient,
  now: Date,
): Promise<{ totals: WindowFigures; perAccount: Map<string, WindowFigures> }> {
  const accounts = await accountsSeen(cloudwatch);
  const [lastHour, lastDay] = await Promise.all([
    scanFigures(cloudwatch, now, HOUR, accounts),
    scanFigures(cloudwatch, now, DAY, accounts),
  ]);
  const of = (tables: ReadonlyMap<string, VerdictTable>, account: string) => {
    const table = tables.get(account);
    if (!table) throw new Error(`unreachable: no figures asked for account ${account}`);
    return table;
  };
  return {
    totals: { lastHour: lastHour.totals, lastDay: lastDay.totals },
    perAccount: new Map(
      accounts.map((account) => [
        account,
        { lastHour: of(lastHour.perAccount, account), lastDay: of(lastDay.perAccount, account) },
      ]),
    ),
  };
}

/**
 * What the scanners load, found as they find it (resolvePublishedSet): the updater's manifest, or
 * else the database files at the prefix, the plain layout `serve` and `definitions publish` leave.
 */
async function definitionsStatus(
  s3: ReturnType<typeof createS3Client>,
  target: StatusTarget,
  now: Date,
): Promise<DefinitionsReport> {
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

async function alarmsInAlarm(
  cloudwatch: CloudWatchClient,
  prefix: string,
): Promise<Array<{ name: string; reason?: string; since?: string }>> {
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
