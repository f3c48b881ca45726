import { SFNClient } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { waitForScan } from '../../src/client/scan-client';
import { runCli } from '../support/cli';
import { type LocalCloudFormation, startLocalCloudFormation } from '../support/cloudformation';
import { objectCreatedEvent } from '../support/events';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { EICAR } from '../support/signatures';
import { type LocalSqsServer, startLocalSqs } from '../support/sqs-server';
import { type ScanStack, startScanStack } from '../support/workflow';

let h: Harness;
let stack: ScanStack;
let sqsServer: LocalSqsServer;
let cloudformation: LocalCloudFormation;
let sqs: SQSClient;
let sfn: SFNClient;

beforeAll(async () => {
  h = await startHarness();
  stack = await startScanStack(h);
  // One key pair for both endpoints, as one AWS account's credentials reach both services.
  sqsServer = await startLocalSqs(['standard-dlq', 'express-dlq', 'scan-queue'], {
    credentials: stack.sfnServer.credentials,
  });
  const { credentials } = sqsServer;
  cloudformation = await startLocalCloudFormation({
    Standard: {
      UploadDeadLetterQueueUrl: sqsServer.queueUrls['standard-dlq'] as string,
      ScanStateMachineArn: stack.stateMachineArn,
    },
    Express: {
      UploadDeadLetterQueueUrl: sqsServer.queueUrls['express-dlq'] as string,
      ScanStateMachineArn: stack.expressStateMachineArn,
      ScanQueueUrl: sqsServer.queueUrls['scan-queue'] as string,
    },
  });
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials });
  sfn = new SFNClient({ endpoint: stack.sfnServer.endpoint, region: 'us-east-1', credentials });
});
afterAll(async () => {
  sqs.destroy();
  sfn.destroy();
  await cloudformation.stop();
  await sqsServer.stop();
  await stack.stop();
  await h.stop();
});

function redrive(args: string[]) {
  return runCli(['redrive', ...args], {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: sqsServer.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sqsServer.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.endpoint,
    AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
    AWS_ENDPOINT_URL_SFN: stack.sfnServer.endpoint,
  });
}

/** What EventBridge leaves in a rule's dead-letter queue: the event itself as the body. */
async function deadLetter(queue: string, body: unknown): Promise<string> {
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl: sqsServer.queueUrls[queue],
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
  return sent.MessageId ?? '';
}

test('Standard: each upload event in the dead-letter queue starts its scan once, and only what is not one stays', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'lost/clean.txt', 'fine', { owner: 'team-a' });
  await h.s3.put(UPLOADS_BUCKET, 'lost/eicar.com', EICAR);
  const ids = [
    await deadLetter('standard-dlq', await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'lost/clean.txt')),
    await deadLetter('standard-dlq', await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'lost/eicar.com')),
  ];
  const junk = await deadLetter('standard-dlq', 'not an event');

  const run = await redrive(['--stack', 'Standard']);

  expect(run.code).toBe(1);
  expect(run.stdout).toContain('s3://uploads/lost/clean.txt: scan started');
  expect(run.stdout).toContain('s3://uploads/lost/eicar.com: scan started');
  expect(run.stdout).toContain(`message ${junk} left in the queue: not JSON`);
  expect(run.stdout).toContain('2 upload event(s) redriven, 1 left in the queue');
  const executions = ids.map(
    (id) => `${stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:redrive-${id}`,
  );
  const results = await Promise.all(executions.map((arn) => waitForScan(sfn, arn, { pollIntervalMs: 20 })));
  expect(results.map((r) => r.status)).toEqual(['CLEAN', 'INFECTED']);
  expect(await h.tags('lost/clean.txt')).toMatchObject({ owner: 'team-a', 'av-status': 'CLEAN' });
  expect(await h.tags('lost/eicar.com')).toMatchObject({ 'av-status': 'INFECTED' });
  expect(sqsServer.bodies('standard-dlq')).toEqual(['not an event']);
}, 60_000);

test('Express: the upload events go back to the scan queue', async () => {
  const event = await (async () => {
    await h.s3.put(UPLOADS_BUCKET, 'lost/express.txt', 'fine');
    return objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'lost/express.txt');
  })();
  await deadLetter('express-dlq', event);

  const run = await redrive(['--stack', 'Express', '--json']);

  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toEqual({
    redriven: [{ bucket: UPLOADS_BUCKET, key: 'lost/express.txt' }],
    left: [],
  });
  expect(sqsServer.bodies('express-dlq')).toEqual([]);
  expect(sqsServer.bodies('scan-queue').map((body) => JSON.parse(body))).toEqual([event]);
});

test('without a stack or queues, redrive says what it needs', async () => {
  const run = await redrive([]);

  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/redrive needs --stack NAME/);
});
