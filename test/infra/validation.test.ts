import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaAv, type LambdaAvProps, ProcessingErrorThreshold } from '../../infra';
import { standInCode, testApp } from './support';

/** Constructs a LambdaAv and returns what it threw (no synth: validation happens in the constructor). */
function construct(props: (stack: Stack) => LambdaAvProps): () => void {
  return () => {
    const stack = new Stack(testApp(), 'Test');
    new LambdaAv(stack, 'LambdaAv', { code: standInCode(), ...props(stack) });
  };
}

test.each([
  ['maxFileSize 0', { maxFileSize: 0 }, /maxFileSize must be a whole number from 1 to 2147483647, got 0/],
  ['maxFileSize of 2 GiB', { maxFileSize: 2 ** 31 }, /maxFileSize .* got 2147483648/],
  ['a fractional maxFileSize', { maxFileSize: 1.5 }, /maxFileSize .* got 1.5/],
  ['a prefix with slashes around it', { definitionsPrefix: '/defs/' }, /definitionsPrefix .* got "\/defs\/"/],
  ['a prefix with a wildcard', { definitionsPrefix: 'defs*' }, /definitionsPrefix .* got "defs\*"/],
  [
    'the staging area of imports as prefix',
    { definitionsPrefix: 'lambda-av-import/db' },
    /definitionsPrefix must not be "lambda-av-import" or under it.*got "lambda-av-import\/db"/,
  ],
  ["scanner memory above Lambda's", { scannerMemorySize: 20_000 }, /scannerMemorySize .* got 20000/],
  [
    'a timeout over 15 minutes',
    { scannerTimeout: Duration.minutes(16) },
    /scannerTimeout \(seconds\) .* got 960/,
  ],
  [
    'a scanner timeout that cannot hold a cold start',
    { scannerTimeout: Duration.minutes(5) },
    /scannerTimeout \(300 s\) must hold definitionsDownloadTimeout 60 s \+ daemonStartTimeout 120 s \+ scanTimeout 240 s = 420 s with margin, at least 462 s/,
  ],
  [
    'an updater timeout that cannot hold one run',
    { updaterTimeout: Duration.minutes(10) },
    /updaterTimeout \(600 s\) must hold .*freshclamTimeout 300 s \+ verifyTimeout 300 s .* = 720 s with margin, at least 792 s/,
  ],
  [
    'scanner budgets that no Lambda timeout can hold',
    { scanTimeout: Duration.minutes(14) },
    /scannerTimeout \(900 s\) must hold .* scanTimeout 840 s = 1020 s/,
  ],
  ['a budget of 0', { daemonStartTimeout: Duration.seconds(0) }, /daemonStartTimeout \(seconds\) .* got 0/],
  [
    'a processing error threshold that is not a ProcessingErrorThreshold (a plain object from JavaScript)',
    { processingErrorThreshold: { percent: 5 } as never },
    /processingErrorThreshold must be ProcessingErrorThreshold.percent\(n\) or ProcessingErrorThreshold.count\(n\), got "\{\\"percent\\":5\}"/,
  ],
  [
    'a processing error share over 100 %',
    { processingErrorThreshold: ProcessingErrorThreshold.percent(150) },
    /processingErrorThreshold.percent .* from 1 to 100, got 150/,
  ],
  [
    'a canary latency threshold of an hour and more',
    { canaryLatencyThreshold: Duration.hours(2) },
    /canaryLatencyThreshold \(ms\) .* got 7200000/,
  ],
  [
    '/tmp below 512 MiB',
    { scannerEphemeralStorageSize: Size.mebibytes(256) },
    /scannerEphemeralStorageSize \(MiB\) .* got 256/,
  ],
  ['warmConcurrency 101', { warmConcurrency: 101 }, /warmConcurrency .* from 1 to 100, got 101/],
  [
    'warmConcurrency above the reserved concurrency',
    { warmConcurrency: 5, reservedConcurrency: 2 },
    /warmConcurrency \(5\) cannot exceed reservedConcurrency \(2\)/,
  ],
  [
    'provisioned above reserved concurrency',
    { provisionedConcurrency: 5, reservedConcurrency: 2 },
    /provisionedConcurrency \(5\) cannot exceed reservedConcurrency \(2\)/,
  ],
  [
    'a warmer every 30 seconds',
    { warmerInterval: Duration.seconds(30) },
    /warmerInterval \(whole minutes\) .* got 0.5/,
  ],
  [
    'official updates more often than hourly',
    { updateInterval: Duration.minutes(15) },
    /updateInterval \(whole minutes\) must be a whole number from 60 .* got 15/,
  ],
  [
    'an age threshold within one update interval',
    { definitionsAgeThreshold: Duration.hours(3) },
    /definitionsAgeThreshold \(3 hours\) must be longer than updateInterval \(3 hours\)/,
  ],
  [
    'an ftp mirror',
    { mirrorUrl: 'ftp://mirror.example.com' },
    /mirrorUrl must be a http: or https: URL, got "ftp:\/\/mirror.example.com"/,
  ],
  [
    'a custom database that is no URL',
    { customDatabaseUrls: ['sigs.ndb'] },
    /customDatabaseUrls\[0\] .* got "sigs.ndb"/,
  ],
  [
    'a custom database URL with a query, which freshclam would put in the file name',
    { customDatabaseUrls: ['https://sigs.example.com/x.ndb?sig=abc'] },
    /customDatabaseUrls\[0\] must not have a query or fragment: .* got "https:\/\/sigs.example.com\/x.ndb\?sig=abc"/,
  ],
  [
    'a custom database URL that names no file',
    { customDatabaseUrls: ['https://sigs.example.com/dbs/'] },
    /customDatabaseUrls\[0\] must end in the database's file name/,
  ],
  [
    'an unknown official database',
    { officialDatabases: ['main', 'safebrowsing'] as never },
    /officialDatabases may list main, daily, bytecode; got "safebrowsing"/,
  ],
  ['no databases at all', { officialDatabases: [] }, /updater would fetch nothing/],
  [
    'a tag key S3 refuses',
    { statusTagKey: 'av#status' },
    /statusTagKey must be a valid S3 tag key, got "av#status"/,
  ],
  ['an empty status value', { statusValues: { clean: '' } }, /statusValues.clean .* got ""/],
  [
    'an unscannable status value equal to the clean one',
    { statusValues: { unscannable: 'CLEAN' } },
    /statusValues.unscannable must differ from statusValues.clean: both are "CLEAN"/,
  ],
  [
    'two status values alike',
    { statusValues: { infected: 'bad', processingError: 'bad' } },
    /statusValues.processingError must differ from statusValues.infected: both are "bad"/,
  ],
  [
    'an unknown unscannable policy',
    { unscannablePolicy: 'ignore' as never },
    /unscannablePolicy must be one of report, block-as-infected, got "ignore"/,
  ],
  [
    'an unscannable alarm threshold of 0',
    { unscannableAlarmThreshold: 0 },
    /unscannableAlarmThreshold must be a whole number from 1 to 100000, got 0/,
  ],
] as Array<[string, LambdaAvProps, RegExp]>)(
  '%s fails at synth, showing the value',
  (_name, props, message) => {
    expect(construct(() => props)).toThrow(message);
  },
);

test('a private mirror may be checked every 15 minutes', () => {
  expect(
    construct(() => ({ mirrorUrl: 'https://mirror.internal', updateInterval: Duration.minutes(15) })),
  ).not.toThrow();
});

test('a scanned bucket name S3 would refuse fails at synth', () => {
  expect(
    construct((stack) => ({ scanBuckets: [{ bucket: s3.Bucket.fromBucketName(stack, 'B', 'Uploads_1') }] })),
  ).toThrow(/scanBuckets\[\]\.bucket must be an S3 bucket name, got "Uploads_1"/);
});

test('the same bucket twice fails at synth', () => {
  expect(
    construct((stack) => ({
      scanBuckets: [
        { bucket: s3.Bucket.fromBucketName(stack, 'A', 'uploads') },
        { bucket: s3.Bucket.fromBucketName(stack, 'B', 'uploads') },
      ],
    })),
  ).toThrow(/scanBuckets names bucket "uploads" more than once/);
});

test('scanning the definitions bucket fails at synth: only the updater may write there', () => {
  expect(
    construct((stack) => ({
      definitionsBucket: s3.Bucket.fromBucketName(stack, 'Defs', 'defs'),
      scanBuckets: [{ bucket: s3.Bucket.fromBucketName(stack, 'Scan', 'defs') }],
    })),
  ).toThrow(/must not include the definitions bucket "defs"/);
});

test('a KMS key ARN that is not one fails at synth', () => {
  expect(
    construct((stack) => ({
      scanBuckets: [{ bucket: s3.Bucket.fromBucketName(stack, 'A', 'uploads'), kmsKeyArn: 'alias/aws/s3' }],
    })),
  ).toThrow(/kmsKeyArn must be a KMS key ARN .* got "alias\/aws\/s3"/);
});
