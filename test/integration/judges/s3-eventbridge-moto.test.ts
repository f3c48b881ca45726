import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildLambdaAv } from '../../infra/support';
import { judged } from '../../robustness/ledger';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { EICAR } from '../../support/signatures';

// moto's S3 sends EventBridge notifications, and moto's EventBridge matches them against rules
// (prefix, suffix, wildcard, numeric): a judge of the upload rule the construct synthesizes that
// the project did not write. The rule here is the synthesized one, pattern as written into the
// template; moto delivers what it matches to a queue, and the scanner scans what was delivered.
//
// The bucket keeps versions: moto's event then names the version created, and the scanner reads
// and tags that version. In a bucket without versioning moto's event says "version-id": "null",
// the null version, which S3 lets HeadObject, GetObject and the tagging calls name; moto 5.2.1
// answers GetObject and the tagging calls for it but refuses HeadObject (400), so that path is
// left to lambda-av's own S3 endpoint (test/integration/scan-file.test.ts).

const REGION = 'us-east-1';

let h: Harness;
let queueUrl: string;
let sqs: SQSClient;
let eventBridge: EventBridgeClient;

/** The EventPattern of the upload rule the construct writes for UPLOADS_BUCKET. */
function synthesizedUploadPattern(): unknown {
  const { template } = buildLambdaAv((stack) => ({
    scanBuckets: [
      {
        bucket: s3.Bucket.fromBucketName(stack, 'Uploads', UPLOADS_BUCKET),
        filter: { prefixes: ['in/', 'docs/'], suffixes: ['.pdf', '.com'], maxSize: 1024 },
      },
    ],
  }));
  const rules = Object.values(template.findResources('AWS::Events::Rule')).map(
    (rule) => (rule as { Properties: { EventPattern?: { source?: string[]; detail?: unknown } } }).Properties,
  );
  const upload = rules.filter(
    (rule) =>
      rule.EventPattern?.source?.includes('aws.s3') &&
      JSON.stringify(rule.EventPattern.detail).includes(`"${UPLOADS_BUCKET}"`),
  );
  expect(upload).toHaveLength(1);
  return upload[0]?.EventPattern;
}

beforeAll(async () => {
  h = await startHarness({ s3: 'moto' });
  const options = { endpoint: h.s3.endpoint, region: REGION, credentials: h.s3.credentials };
  sqs = new SQSClient(options);
  eventBridge = new EventBridgeClient(options);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'scan-requests' }))).QueueUrl ?? '';
  const queueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  await eventBridge.send(
    new PutRuleCommand({ Name: 'uploads', EventPattern: JSON.stringify(synthesizedUploadPattern()) }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: 'uploads', Targets: [{ Id: 'queue', Arn: queueArn }] }),
  );
  await h.s3.client.send(
    new PutBucketVersioningCommand({
      Bucket: UPLOADS_BUCKET,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
  await h.s3.client.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: UPLOADS_BUCKET,
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    }),
  );
}, 120_000);
afterAll(async () => {
  sqs?.destroy();
  eventBridge?.destroy();
  await h?.stop();
});
afterEach(() => {
  judged('moto', expect.getState().currentTestName ?? 'upload rule');
});

/** Every event moto delivered to the queue so far (moto delivers while it answers PutObject). */
async function delivered(): Promise<
  Array<{ 'detail-type': string; detail: { object: { key: string; 'version-id'?: string } } }>
> {
  const events = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!Messages?.length) return events;
    events.push(...Messages.map((message) => JSON.parse(message.Body ?? '{}')));
  }
}

test("moto's S3 events through the synthesized upload rule: the filtered uploads reach the scanner, which tags them", async () => {
  const put = (key: string, body: string | Buffer) =>
    h.s3.client.send(new PutObjectCommand({ Bucket: UPLOADS_BUCKET, Key: key, Body: body }));
  await put('in/report.pdf', 'a clean report');
  await put('docs/a b+c.com', EICAR);
  await put('in/notes.txt', 'wrong suffix');
  await put('elsewhere/x.pdf', 'wrong prefix');
  await put('in/big.pdf', Buffer.alloc(2048, 1));

  const events = await delivered();

  expect(events.map((event) => event.detail.object.key).sort()).toEqual(['docs/a b+c.com', 'in/report.pdf']);
  expect(new Set(events.map((event) => event['detail-type']))).toEqual(new Set(['Object Created']));
  // The scanner takes each event as the rule's target would hand it over, and tags the object.
  const results = (await Promise.all(events.map((event) => h.handler(event)))) as Array<{
    key: string;
    status: string;
    versionId?: string;
  }>;
  const versionOf = (key: string) =>
    events.find((event) => event.detail.object.key === key)?.detail.object['version-id'];
  expect(results.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
    expect.objectContaining({
      key: 'docs/a b+c.com',
      status: 'INFECTED',
      versionId: versionOf('docs/a b+c.com'),
    }),
    expect.objectContaining({ key: 'in/report.pdf', status: 'CLEAN', versionId: versionOf('in/report.pdf') }),
  ]);
  // A versioned bucket's events name a real version, not the null version.
  expect(versionOf('in/report.pdf')).toEqual(expect.any(String));
  expect(versionOf('in/report.pdf')).not.toBe('null');
  expect(await h.tags('docs/a b+c.com')).toMatchObject({ 'av-status': 'INFECTED' });
  expect(await h.tags('in/report.pdf')).toMatchObject({ 'av-status': 'CLEAN' });
  expect(await h.tags('in/notes.txt')).toEqual({});
});
