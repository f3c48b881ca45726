import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  ScanExecutionError,
  scanDirect,
  scanSync,
  scanThroughWorkflow,
  startScan,
  waitForScan,
} from '../../../src/client/scan-client';
import { localSfnClient } from '../../../src/local/sfn-server';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { EICAR } from '../../support/signatures';
import { SCANNER_FUNCTION, type ScanStack, startScanStack } from '../../support/workflow';

let h: Harness;
let stack: ScanStack;
let sfn: SFNClient;
let stateMachineArn: string;

beforeAll(async () => {
  h = await startHarness();
  stack = await startScanStack(h);
  stateMachineArn = stack.stateMachineArn;
  sfn = localSfnClient(stack.sfnServer);
});
afterAll(async () => {
  sfn.destroy();
  await stack.stop();
  await h.stop();
});

test('an upload workflow starts a scan execution and reads its verdict', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'uploads/invoice.pdf', EICAR);

  const started = await startScan(sfn, stateMachineArn, {
    bucket: UPLOADS_BUCKET,
    key: 'uploads/invoice.pdf',
  });
  const result = await waitForScan(sfn, started.executionArn, { pollIntervalMs: 20 });

  expect(started).toMatchObject({ alreadyStarted: false, name: expect.stringMatching(/^scan-invoice_pdf-/) });
  expect(started.executionArn).toBe(
    `arn:aws:states:us-east-1:123456789012:execution:lambda-av-scan:${started.name}`,
  );
  expect(result).toMatchObject({ status: 'INFECTED', key: 'uploads/invoice.pdf' });
});

test('starting the same attempt again is recognised, and the next attempt gets its own execution', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'again.txt', 'clean');
  const object = { bucket: UPLOADS_BUCKET, key: 'again.txt' };
  const first = await startScan(sfn, stateMachineArn, object);
  await waitForScan(sfn, first.executionArn, { pollIntervalMs: 20 });

  const repeat = await startScan(sfn, stateMachineArn, object);
  const second = await startScan(sfn, stateMachineArn, object, { attempt: 2 });

  expect(repeat).toEqual({ ...first, alreadyStarted: true });
  expect(second.executionArn).not.toBe(first.executionArn);
  expect(await waitForScan(sfn, second.executionArn, { pollIntervalMs: 20 })).toMatchObject({
    status: 'CLEAN',
  });
});

test('an execution that fails is reported with its error', async () => {
  // An EventBridge event without bucket or key names no object: Scan and then TagProcessingError
  // refuse it, and the execution fails.
  const bad = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: 'bad-event',
      input: JSON.stringify({ source: 'aws.s3', detail: {} }),
    }),
  );

  const failure = waitForScan(sfn, bad.executionArn ?? '', { pollIntervalMs: 20 });

  await expect(failure).rejects.toBeInstanceOf(ScanExecutionError);
  await expect(failure).rejects.toMatchObject({ status: 'FAILED', error: 'InvalidEventError' });
});

test('the direct fast path returns the same result shape as an execution', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'direct.com', EICAR);
  const object = { bucket: UPLOADS_BUCKET, key: 'direct.com' };

  const direct = await scanDirect(stack.workflow.lambda, SCANNER_FUNCTION, object);
  const viaExecution = await waitForScan(sfn, (await startScan(sfn, stateMachineArn, object)).executionArn, {
    pollIntervalMs: 20,
  });

  expect(Object.keys(direct).sort()).toEqual(Object.keys(viaExecution).sort());
  expect(direct).toMatchObject({ status: 'INFECTED', signature: viaExecution.signature });
});

test('the direct path surfaces the scanner named error', async () => {
  await expect(
    scanDirect(stack.workflow.lambda, SCANNER_FUNCTION, { bucket: UPLOADS_BUCKET } as never),
  ).rejects.toMatchObject({
    name: 'InvalidEventError',
    message: expect.stringContaining('key is missing'),
  });
});

test('an Express machine answers synchronously, and scanThroughWorkflow picks the call by machine type', async () => {
  // StartSyncExecution goes to the `sync-` host prefix on AWS; a custom endpoint has none.
  const syncSfn = localSfnClient(stack.sfnServer);
  try {
    await h.s3.put(UPLOADS_BUCKET, 'express/eicar.com', EICAR);
    await h.s3.put(UPLOADS_BUCKET, 'express/clean.txt', 'clean');

    const infected = await scanSync(syncSfn, stack.expressStateMachineArn, {
      bucket: UPLOADS_BUCKET,
      key: 'express/eicar.com',
    });
    const clean = await scanThroughWorkflow(syncSfn, stack.expressStateMachineArn, {
      bucket: UPLOADS_BUCKET,
      key: 'express/clean.txt',
    });
    const standard = await scanThroughWorkflow(syncSfn, stateMachineArn, {
      bucket: UPLOADS_BUCKET,
      key: 'express/clean.txt',
    });

    expect(infected).toMatchObject({ status: 'INFECTED', key: 'express/eicar.com' });
    expect(clean).toMatchObject({ status: 'CLEAN', key: 'express/clean.txt' });
    expect(standard).toMatchObject({ status: 'CLEAN', key: 'express/clean.txt' });
    // The Standard machine kept a named execution; the Express machine keeps none to list.
    await expect(
      startScan(syncSfn, stateMachineArn, { bucket: UPLOADS_BUCKET, key: 'express/clean.txt' }),
    ).resolves.toMatchObject({ alreadyStarted: true });
  } finally {
    syncSfn.destroy();
  }
});

test('an Express execution that fails is reported with its error', async () => {
  const syncSfn = localSfnClient(stack.sfnServer);
  try {
    const failure = scanSync(syncSfn, stack.expressStateMachineArn, { bucket: UPLOADS_BUCKET } as never);
    await expect(failure).rejects.toBeInstanceOf(ScanExecutionError);
    await expect(failure).rejects.toMatchObject({ status: 'FAILED' });
  } finally {
    syncSfn.destroy();
  }
});
