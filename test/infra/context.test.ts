import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ProcessingErrorThreshold } from '../../infra';
import { readAppSettings } from '../../infra/context';

const read = (context: Record<string, unknown>) => readAppSettings((key) => context[key]);

test('without context: the LambdaAv stack with the construct defaults and nothing scanned', () => {
  const settings = read({});

  expect(settings).toEqual({
    stackName: 'LambdaAv',
    lambdaZip: undefined,
    stackProps: { lambdaAv: {}, scanBuckets: [] },
  });
});

test('scanBuckets as -c gives it: names, each optionally with the KMS key of its objects', () => {
  const settings = read({
    scanBuckets: 'uploads, private=arn:aws:kms:eu-west-1:111122223333:key/abc',
  });

  expect(settings.stackProps.scanBuckets).toEqual([
    { bucketName: 'uploads' },
    { bucketName: 'private', kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc' },
  ]);
});

test('scanBuckets as cdk.json gives it: a JSON array of names or objects', () => {
  const settings = read({ scanBuckets: ['uploads', { bucketName: 'manual', scanOnUpload: false }] });

  expect(settings.stackProps.scanBuckets).toEqual([
    { bucketName: 'uploads' },
    { bucketName: 'manual', scanOnUpload: false },
  ]);
});

test('scanOnUpload=false applies to every bucket that does not say otherwise', () => {
  const settings = read({ scanBuckets: 'a,b', scanOnUpload: 'false' });

  expect(settings.stackProps.scanBuckets).toEqual([
    { bucketName: 'a', scanOnUpload: false },
    { bucketName: 'b', scanOnUpload: false },
  ]);
});

test('eventBridgeNotifications=false applies to every bucket that does not say otherwise', () => {
  const settings = read({
    scanBuckets: ['a', { bucketName: 'b', eventBridgeNotifications: true }],
    eventBridgeNotifications: 'false',
  });

  expect(settings.stackProps.scanBuckets).toEqual([
    { bucketName: 'a', eventBridgeNotifications: false },
    { bucketName: 'b', eventBridgeNotifications: true },
  ]);
});

test('numbers, durations, choices and lists from strings', () => {
  const { lambdaAv } = read({
    architecture: 'arm64',
    maxFileSize: '104857600',
    warmConcurrency: '3',
    warmerIntervalMinutes: '2',
    updateIntervalMinutes: '60',
    definitionsAgeThresholdHours: '12',
    scanLatencyThresholdMs: '5000',
    officialDatabases: 'main,daily',
    customDatabaseUrls: 'https://a.example/x.ndb,https://b.example/y.hdb',
    alarmEmails: 'a@example.com',
    removalPolicy: 'destroy',
    updateOnDeploy: 'false',
    unscannablePolicy: 'block-as-infected',
    unscannableAlarmThreshold: '3',
  }).stackProps;

  expect(lambdaAv).toEqual({
    architecture: lambda.Architecture.ARM_64,
    maxFileSize: 104857600,
    warmConcurrency: 3,
    warmerInterval: Duration.minutes(2),
    updateInterval: Duration.minutes(60),
    definitionsAgeThreshold: Duration.hours(12),
    scanLatencyThreshold: Duration.millis(5000),
    officialDatabases: ['main', 'daily'],
    customDatabaseUrls: ['https://a.example/x.ndb', 'https://b.example/y.hdb'],
    alarmEmails: ['a@example.com'],
    removalPolicy: RemovalPolicy.DESTROY,
    updateOnDeploy: false,
    unscannablePolicy: 'block-as-infected',
    unscannableAlarmThreshold: 3,
  });
});

test('warmerIntervalMinutes=0 turns the warmer off', () => {
  expect(read({ warmerIntervalMinutes: '0' }).stackProps.lambdaAv).toEqual({ warmerEnabled: false });
});

test('an empty officialDatabases means custom databases only', () => {
  expect(read({ officialDatabases: '' }).stackProps.lambdaAv).toEqual({ officialDatabases: [] });
});

test('an existing definitions bucket and a prebuilt zip', () => {
  const settings = read({ definitionsBucketName: 'my-defs', lambdaZip: 'dist/lambda.zip', stackName: 'Av' });

  expect(settings).toMatchObject({
    stackName: 'Av',
    lambdaZip: 'dist/lambda.zip',
    stackProps: { definitionsBucketName: 'my-defs' },
  });
});

test.each([
  [{ maxFileSize: '300MB' }, /context maxFileSize must be a whole number, got "300MB"/],
  [{ architecture: 'x86' }, /context architecture must be one of x86_64, arm64, got "x86"/],
  [{ updateOnDeploy: 'yes' }, /context updateOnDeploy must be true or false, got "yes"/],
  [
    { unscannablePolicy: 'infected' },
    /context unscannablePolicy must be one of report, block-as-infected, got "infected"/,
  ],
  [{ scanBuckets: 'a=b=c' }, /context scanBuckets must be .*, got "a=b=c"/],
  [{ scanBuckets: [42] }, /context scanBuckets must be .*, got 42$/],
  [{ officialDatabases: 'main,weekly' }, /context officialDatabases must be .*, got "weekly"/],
  [
    { logRetentionDays: '45' },
    /context logRetentionDays must be one of CloudWatch Logs' retention periods .*, got 45/,
  ],
])('malformed context %j fails, naming the key and the value', (context, message) => {
  expect(() => read(context)).toThrow(message);
});

test('canary latency and PROCESSING_ERROR thresholds from strings; a share and a count together are refused', () => {
  expect(
    read({ canaryLatencyThresholdMs: '90000', processingErrorCount: '3' }).stackProps.lambdaAv,
  ).toMatchObject({
    canaryLatencyThreshold: Duration.millis(90_000),
    processingErrorThreshold: ProcessingErrorThreshold.count(3),
  });
  expect(read({ processingErrorPercent: '10' }).stackProps.lambdaAv?.processingErrorThreshold).toEqual(
    ProcessingErrorThreshold.percent(10),
  );
  expect(() => read({ processingErrorPercent: '10', processingErrorCount: '3' })).toThrow(
    /processingErrorPercent must be given alone/,
  );
});

test('the Express workflow and its retry budget from strings', () => {
  expect(read({ workflowType: 'EXPRESS', retryBudgetMinutes: '60' }).stackProps.lambdaAv).toMatchObject({
    workflowType: 'EXPRESS',
    retryBudget: Duration.minutes(60),
  });
  expect(() => read({ workflowType: 'fast' })).toThrow(
    /workflowType must be one of STANDARD, EXPRESS, got "fast"/,
  );
});

test('infectedActions names an action per scanned bucket; tagPreset and quarantineRetentionDays from strings', () => {
  const settings = read({
    scanBuckets: 'uploads,inbox,plain',
    infectedActions: 'uploads=quarantine, inbox=delete',
    tagPreset: 'guardduty',
    quarantineRetentionDays: '30',
  });

  expect(settings.stackProps.scanBuckets).toEqual([
    { bucketName: 'uploads', onInfected: 'quarantine' },
    { bucketName: 'inbox', onInfected: 'delete' },
    { bucketName: 'plain' },
  ]);
  expect(settings.stackProps.lambdaAv).toMatchObject({
    tagPreset: 'guardduty',
    quarantineRetention: Duration.days(30),
  });
});

test.each([
  [
    { scanBuckets: 'uploads', infectedActions: 'uploads=shred' },
    /infectedActions must be a comma-separated list of bucket=quarantine or bucket=delete, got "uploads=shred"/,
  ],
  [
    { scanBuckets: 'uploads', infectedActions: 'other=delete' },
    /infectedActions must be about buckets listed in scanBuckets, got "other"/,
  ],
  [{ tagPreset: 'clamav' }, /tagPreset must be one of guardduty/],
])('a bad action context %j is refused', (context, message) => {
  expect(() => read(context)).toThrow(message);
});
