import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { resolvePublishedSet } from '../../src/definitions/store';
import {
  type LocalCloudWatchServer,
  localCloudWatchClient,
  startLocalCloudWatch,
} from '../../src/local/cloudwatch-server';
import { publishDefinitionsDirectory } from '../../src/local-scan/local-definitions';
import { METRICS_NAMESPACE } from '../../src/metrics';
import { EmfScanMetrics } from '../../src/scan/scan-metrics';
import { SERVICE_NAME } from '../../src/settings';
import { type LocalCloudFormation, startLocalCloudFormation } from '../support/cloudformation';
import { captureEmf, putEmf } from '../support/emf';
import { type LocalS3, startLocalS3 } from '../support/s3';
import { writeTestDatabase } from '../support/signatures';
import { type LocalSts, startLocalSts } from '../support/sts';

// `lambda-av status` as a user runs it, against local endpoints that answer the AWS operations it
// calls in the SDK's wire protocols: CloudWatch (AWS JSON 1.0), CloudFormation and STS
// (Query/XML), S3. Every figure it shows comes from numbers this test put there.

const BIN = path.join(__dirname, '..', '..', 'bin', 'lambda-av.js');
const STACK = 'LambdaAv';
const PREFIX = 'LambdaAv-LambdaAv-Monitoring-1A2B3C4D-';
/** The account the credentials act in: the stack's own (the hub, in the organization tests). */
const OWN = '111111111111';
const MEMBER = '222222222222';
const LATE_MEMBER = '333333333333';

let cloudwatch: LocalCloudWatchServer;
/** An organization hub's CloudWatch: its scans also counted per account, as the scanner emits them. */
let hubWatch: LocalCloudWatchServer;
let sts: LocalSts;
let cloudformation: LocalCloudFormation;
let s3: LocalS3;
let client: CloudWatchClient;
const now = Date.now();
const minutesAgo = (minutes: number) => new Date(now - minutes * 60_000);

beforeAll(async () => {
  s3 = await startLocalS3();
  // One key pair for both endpoints, as one account's credentials reach both services.
  cloudwatch = await startLocalCloudWatch({ credentials: s3.credentials });
  hubWatch = await startLocalCloudWatch({ credentials: s3.credentials });
  sts = await startLocalSts(OWN);
  await s3.createBucket('defs');
  cloudformation = await startLocalCloudFormation({
    [STACK]: { DefinitionsBucketName: 'defs', DefinitionsPrefix: 'av-definitions', AlarmNamePrefix: PREFIX },
    Empty: { DefinitionsBucketName: 'defs', DefinitionsPrefix: 'nothing-here', AlarmNamePrefix: 'Other-' },
    Hub: { DefinitionsBucketName: 'defs', DefinitionsPrefix: 'av-definitions', AlarmNamePrefix: 'Hub-' },
  });
  client = new CloudWatchClient({
    endpoint: cloudwatch.endpoint,
    region: 'us-east-1',
    credentials: cloudwatch.credentials,
  });
  const builtAt = new Date(now - 6 * 3_600_000).toISOString();
  await s3.put(
    'defs',
    'av-definitions/manifest.json',
    JSON.stringify({
      schema: 1,
      version: '20261130T000000Z-cafe0123',
      publishedAt: builtAt,
      builtAt,
      files: [],
    }),
  );
  const scan = (status: string, values: number[], at: Date) => ({
    MetricName: 'ScanLatency',
    Dimensions: [
      { Name: 'Status', Value: status },
      { Name: 'service', Value: 'lambda-av' },
    ],
    Values: values,
    Timestamp: at,
    Unit: 'Milliseconds' as const,
  });
  await client.send(
    new PutMetricDataCommand({
      Namespace: 'LambdaAV',
      MetricData: [
        // Within the last hour: 4 clean, 1 infected, 2 unscannable.
        scan('CLEAN', [10, 20, 30, 400], minutesAgo(20)),
        scan('INFECTED', [50], minutesAgo(10)),
        scan('UNSCANNABLE', [70, 2000], minutesAgo(15)),
        // Earlier today only: 2 more clean, 1 processing error.
        scan('CLEAN', [5, 6], minutesAgo(300)),
        scan('PROCESSING_ERROR', [900], minutesAgo(300)),
        // Two canary runs: the newer one did not detect.
        {
          MetricName: 'CanaryDetected',
          Dimensions: [{ Name: 'service', Value: 'lambda-av' }],
          Value: 1,
          Timestamp: minutesAgo(200),
        },
        {
          MetricName: 'CanaryScanLatency',
          Dimensions: [{ Name: 'service', Value: 'lambda-av' }],
          Values: [700, 900],
          Timestamp: minutesAgo(200),
        },
        {
          MetricName: 'CanaryDetected',
          Dimensions: [{ Name: 'service', Value: 'lambda-av' }],
          Value: 0,
          Timestamp: minutesAgo(20),
        },
        {
          MetricName: 'CanaryScanLatency',
          Dimensions: [{ Name: 'service', Value: 'lambda-av' }],
          Values: [1200, 1500],
          Timestamp: minutesAgo(20),
        },
      ],
    }),
  );
  // The hub's scans as its scanner emits them (Embedded Metric Format lines, a second series per
  // account) and CloudWatch Logs extracts them.
  const hubClient = localCloudWatchClient(hubWatch);
  const hubScans = (run: (metrics: EmfScanMetrics) => void) =>
    captureEmf(() =>
      run(new EmfScanMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }))),
    );
  try {
    await putEmf(
      hubClient,
      hubScans((metrics) => {
        metrics.scanCompleted('CLEAN', 10, OWN);
        metrics.scanCompleted('CLEAN', 30, OWN);
        metrics.scanCompleted('CLEAN', 40, MEMBER);
        metrics.scanCompleted('INFECTED', 50, MEMBER);
        // The hub's own object, scanned by a request that named no account.
        metrics.scanCompleted('CLEAN', 5);
      }),
      minutesAgo(20),
    );
    await putEmf(
      hubClient,
      hubScans((metrics) => {
        metrics.scanCompleted('CLEAN', 60, MEMBER);
        metrics.scanCompleted('UNSCANNABLE', 70, LATE_MEMBER);
      }),
      minutesAgo(300),
    );
  } finally {
    hubClient.destroy();
  }
  cloudwatch.setAlarms([
    {
      AlarmName: `${PREFIX}CanaryAlarm`,
      StateValue: 'ALARM',
      StateReason: 'Threshold Crossed: 1 datapoint [0.0]',
      StateUpdatedTimestamp: now - 600_000,
    },
    { AlarmName: `${PREFIX}DefinitionsAgeAlarm`, StateValue: 'OK' },
    { AlarmName: 'SomeoneElse-Alarm', StateValue: 'ALARM' },
  ]);
});
afterAll(async () => {
  client.destroy();
  await cloudwatch.stop();
  await hubWatch.stop();
  await sts.stop();
  await cloudformation.stop();
  await s3.stop();
});

function status(
  args: string[],
  watch: { endpoint: string } = cloudwatch,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_CLOUDWATCH: watch.endpoint,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'status', ...args],
      { env, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr });
      },
    );
  });
}

test('--json shows the account, the definitions, the last canary, scans by verdict and the alarms in ALARM', async () => {
  const run = await status(['--stack', STACK, '--json']);

  expect(run.stderr).toBe('');
  const shown = JSON.parse(run.stdout);
  const lastHour = {
    CLEAN: { count: 4, p50: 20, p99: 400 },
    INFECTED: { count: 1, p50: 50, p99: 50 },
    UNSCANNABLE: { count: 2, p50: 70, p99: 2000 },
    SKIPPED: { count: 0 },
    PROCESSING_ERROR: { count: 0 },
  };
  const lastDay = {
    CLEAN: { count: 6, p50: 10, p99: 400 },
    INFECTED: { count: 1, p50: 50, p99: 50 },
    UNSCANNABLE: { count: 2, p50: 70, p99: 2000 },
    SKIPPED: { count: 0 },
    PROCESSING_ERROR: { count: 1, p50: 900, p99: 900 },
  };
  expect(shown).toEqual({
    stack: STACK,
    account: OWN,
    definitions: {
      account: OWN,
      published: true,
      layout: 'manifest',
      version: '20261130T000000Z-cafe0123',
      builtAt: expect.any(String),
      ageHours: 6,
    },
    canary: { account: OWN, reported: true, time: expect.any(String), detected: false, latencyMs: 1500 },
    // A stack for its own account: no metric names an account, so every scan is its own.
    scans: { lastHour, lastDay, byAccount: [{ account: OWN, own: true, lastHour, lastDay }] },
    alarms: [
      {
        account: OWN,
        name: `${PREFIX}CanaryAlarm`,
        reason: 'Threshold Crossed: 1 datapoint [0.0]',
        since: expect.any(String),
      },
    ],
  });
  expect(Date.parse(shown.canary.time)).toBeGreaterThan(now - 25 * 60_000);
  // An alarm in ALARM and an undetected canary need a look.
  expect(run.code).toBe(1);
});

test('the screen for people says the same', async () => {
  const run = await status(['--stack', STACK]);

  expect(run.stdout).toMatch(/^lambda-av status of stack LambdaAv in account 111111111111\n/);
  expect(run.stdout).toMatch(
    /\nDefinitions {2}111111111111 {2}20261130T000000Z-cafe0123, built .*, 6 h old\n/,
  );
  expect(run.stdout).toMatch(/\nCanary {7}111111111111 {2}NOT DETECTED at .*, slowest scan 1500 ms\n/);
  expect(run.stdout).toMatch(
    / {2}111111111111 {2}CLEAN +4 {2}p50 20 ms {2}p99 400 ms +6 {2}p50 10 ms {2}p99 400 ms/,
  );
  expect(run.stdout).toMatch(
    /\n {2}111111111111 {2}INFECTED +1 .*\n {2}111111111111 {2}UNSCANNABLE +2 {2}p50 70 ms {2}p99 2000 ms +2 {2}p50 70 ms/,
  );
  expect(run.stdout).toMatch(
    /Alarms {7}111111111111 {2}1 in ALARM:\n {2}111111111111 {2}LambdaAv-LambdaAv-Monitoring-1A2B3C4D-CanaryAlarm since /,
  );
  // One account: no totals lines repeating its own.
  expect(run.stdout).not.toMatch(/all accounts|no account/);
  expect(run.code).toBe(1);
});

test('a stack with no definitions published and no alarms says so', async () => {
  const run = await status(['--stack', 'Empty', '--json']);
  const shown = JSON.parse(run.stdout);

  expect(shown.definitions).toEqual({
    account: OWN,
    published: false,
    reason: 'no manifest.json and no database files at s3://defs/nothing-here/',
  });
  expect(shown.alarms).toEqual([]);
  expect(run.code).toBe(1);
});

test("serve's plain layout (database files, no manifest.json) is published definitions, named as the scanner names the set", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-status-plain-'));
  await s3.createBucket('plain-defs');
  try {
    await writeTestDatabase(dir);
    await publishDefinitionsDirectory(s3.client, 'plain-defs', dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const set = await resolvePublishedSet(s3.client, { bucket: 'plain-defs', prefix: '' });

  const json = await status(['--bucket', 'plain-defs', '--prefix', '', '--alarm-prefix', 'Other-', '--json']);
  const text = await status(['--bucket', 'plain-defs', '--prefix', '', '--alarm-prefix', 'Other-']);

  expect(JSON.parse(json.stdout).definitions).toEqual({
    account: OWN,
    published: true,
    layout: 'plain',
    version: set.id,
    files: ['test.hdb', 'test.ndb'],
    uploadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    ageHours: 0,
  });
  expect(text.stdout).toMatch(
    new RegExp(
      `\nDefinitions {2}${OWN} {2}plain files test\\.hdb, test\\.ndb \\(set ${set.id}\\), newest uploaded \\S+, 0 h old\n`,
    ),
  );
});

test('without a stack or settings the command says what it needs', async () => {
  const run = await status([]);

  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/status needs --stack NAME/);
});

test('an unknown stack is an error naming it', async () => {
  const run = await status(['--stack', 'Nope']);

  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/ValidationError: Stack with id Nope does not exist/);
});

describe('an organization hub', () => {
  /** A verdict table: the verdicts given, the others without scans. */
  const table = (figures: Record<string, { count: number; p50?: number; p99?: number }>) => ({
    CLEAN: { count: 0 },
    INFECTED: { count: 0 },
    UNSCANNABLE: { count: 0 },
    SKIPPED: { count: 0 },
    PROCESSING_ERROR: { count: 0 },
    ...figures,
  });
  const member = {
    account: MEMBER,
    own: false,
    lastHour: table({ CLEAN: { count: 1, p50: 40, p99: 40 }, INFECTED: { count: 1, p50: 50, p99: 50 } }),
    lastDay: table({ CLEAN: { count: 2, p50: 40, p99: 60 }, INFECTED: { count: 1, p50: 50, p99: 50 } }),
  };

  test('--json breaks the scans down by the account owning the objects, and keeps the totals', async () => {
    const run = await status(['--stack', 'Hub', '--json'], hubWatch);

    expect(run.stderr).toBe('');
    const shown = JSON.parse(run.stdout);
    expect(shown.account).toBe(OWN);
    expect(shown.definitions.account).toBe(OWN);
    expect(shown.canary).toEqual({ account: OWN, reported: false, since: expect.any(String) });
    expect(shown.scans).toEqual({
      lastHour: table({ CLEAN: { count: 4, p50: 10, p99: 40 }, INFECTED: { count: 1, p50: 50, p99: 50 } }),
      lastDay: table({
        CLEAN: { count: 5, p50: 30, p99: 60 },
        INFECTED: { count: 1, p50: 50, p99: 50 },
        UNSCANNABLE: { count: 1, p50: 70, p99: 70 },
      }),
      byAccount: [
        {
          account: OWN,
          own: true,
          lastHour: table({ CLEAN: { count: 2, p50: 10, p99: 30 } }),
          lastDay: table({ CLEAN: { count: 2, p50: 10, p99: 30 } }),
        },
        member,
        {
          account: LATE_MEMBER,
          own: false,
          lastHour: table({}),
          lastDay: table({ UNSCANNABLE: { count: 1, p50: 70, p99: 70 } }),
        },
      ],
      // The scan whose result named no account is in the totals only: reported apart, not guessed.
      withoutAccount: { lastHour: table({ CLEAN: { count: 1 } }), lastDay: table({ CLEAN: { count: 1 } }) },
    });
    expect(run.code).toBe(0);
  });

  test("the screen has each account's lines, the scans no account names, and every account's totals", async () => {
    const run = await status(['--stack', 'Hub'], hubWatch);

    expect(run.stdout).toMatch(/^lambda-av status of stack Hub in account 111111111111\n/);
    expect(run.stdout).toMatch(/\nCanary {7}111111111111 {2}no report since /);
    expect(run.stdout).toMatch(
      /\n {2}111111111111 {2}CLEAN +2 {2}p50 10 ms {2}p99 30 ms +2 {2}p50 10 ms {2}p99 30 ms\n/,
    );
    expect(run.stdout).toMatch(/\n {2}222222222222 {2}INFECTED +1 {2}p50 50 ms {2}p99 50 ms +1 {2}p50 50 ms/);
    expect(run.stdout).toMatch(/\n {2}333333333333 {2}CLEAN +0 +0\n/);
    expect(run.stdout).toMatch(/\n {2}333333333333 {2}UNSCANNABLE +0 +1 {2}p50 70 ms {2}p99 70 ms\n/);
    expect(run.stdout).toMatch(/\n {2}no account {4}CLEAN +1 +1\n/);
    expect(run.stdout).toMatch(
      /\n {2}all accounts {2}CLEAN +4 {2}p50 10 ms {2}p99 40 ms +5 {2}p50 30 ms {2}p99 60 ms\n/,
    );
    expect(run.stdout).toMatch(/\nAlarms {7}111111111111 {2}none in ALARM\n$/);
  });

  test("--account shows that account's scans only", async () => {
    const json = await status(['--stack', 'Hub', '--account', MEMBER, '--json'], hubWatch);
    const text = await status(['--stack', 'Hub', '--account', MEMBER], hubWatch);

    expect(JSON.parse(json.stdout).scans.byAccount).toEqual([member]);
    expect(JSON.parse(json.stdout).scans.withoutAccount).toBeUndefined();
    const scanLines = text.stdout
      .split('\n')
      .filter((line) => /^ {2}\S+ +\S+ +\d/.test(line) && !line.includes('ALARM'));
    expect(scanLines).toHaveLength(5);
    expect(scanLines.every((line) => line.startsWith(`  ${MEMBER}  `))).toBe(true);
  });

  test('--account must be an account id', async () => {
    const run = await status(['--stack', 'Hub', '--account', 'prod'], hubWatch);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--account must be a 12-digit AWS account id, got "prod"/);
  });
});
