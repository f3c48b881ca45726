import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvokeCommand, type LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import {
  type LocalLambdaServer,
  localLambdaClient,
  startLocalLambda,
} from '../../../src/local/lambda-server';
import { localS3Client } from '../../../src/local/s3-server';
import { runLocalExecution } from '../../../src/local/step-functions';
import { signedFetch } from '../../support/signed-request';

/** A function that runs until released, so the test decides how many are in flight. */
function heldFunction() {
  const releases: Array<() => void> = [];
  let started = 0;
  return {
    started: () => started,
    releaseOne: () => releases.shift()?.(),
    fn: async (event: unknown) => {
      started++;
      await new Promise<void>((resolve) => releases.push(resolve));
      return { echo: event };
    },
  };
}

let server: LocalLambdaServer | undefined;
let lambda: LambdaClient | undefined;
afterEach(async () => {
  lambda?.destroy();
  await server?.stop();
  server = undefined;
  lambda = undefined;
});

async function start(functions: Parameters<typeof startLocalLambda>[0], concurrency: Record<string, number>) {
  server = await startLocalLambda(functions, { concurrency });
  lambda = localLambdaClient(server);
  return { server, lambda };
}

const invoke = (client: LambdaClient, name: string, payload: unknown = {}) =>
  client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) }));

/** Waits until `condition` holds (the server's state changes as requests arrive). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

test('over the reserved concurrency, an invocation is answered as AWS does: HTTP 429, TooManyRequestsException', async () => {
  const held = heldFunction();
  const { server, lambda } = await start({ scanner: held.fn }, { scanner: 2 });
  const running = [invoke(lambda, 'scanner', 1), invoke(lambda, 'scanner', 2)];
  await until(() => held.started() === 2);

  const response = await signedFetch(server, 'lambda', {
    method: 'POST',
    path: '/2015-03-31/functions/scanner/invocations',
    body: '{}',
  });
  const throttled = await invoke(lambda, 'scanner').catch((error: unknown) => error);

  expect(response.status).toBe(429);
  expect(response.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
  expect(await response.json()).toEqual({
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    Type: 'User',
    message: 'Rate Exceeded.',
  });
  expect(throttled).toBeInstanceOf(TooManyRequestsException);
  expect(throttled).toMatchObject({
    name: 'TooManyRequestsException',
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    message: 'Rate Exceeded.',
    $metadata: { httpStatusCode: 429 },
  });
  expect(held.started()).toBe(2);
  expect(server.throttled).toEqual({ scanner: 2 });
  held.releaseOne();
  held.releaseOne();
  await Promise.all(running);
});

test('a finished invocation frees its slot: the next one runs, and the peak never passes the limit', async () => {
  const held = heldFunction();
  const { server, lambda } = await start({ scanner: held.fn }, { scanner: 1 });
  const first = invoke(lambda, 'scanner', 'first');
  await until(() => held.started() === 1);
  await expect(invoke(lambda, 'scanner')).rejects.toBeInstanceOf(TooManyRequestsException);

  held.releaseOne();
  await first;
  const second = invoke(lambda, 'scanner', 'second');
  await until(() => held.started() === 2);
  held.releaseOne();
  const output = await second;

  expect(JSON.parse(Buffer.from(output.Payload ?? []).toString())).toEqual({ echo: 'second' });
  expect(server.throttled).toEqual({ scanner: 1 });
  expect(server.peakConcurrency).toEqual({ scanner: 1 });
  expect(server.invocations.map((i) => i.event)).toEqual(['first', 'second']);
});

test('a failing invocation frees its slot too', async () => {
  const { server, lambda } = await start(
    {
      scanner: async () => {
        throw Object.assign(new Error('clamd is starting'), { name: 'DaemonStartupError' });
      },
    },
    { scanner: 1 },
  );

  const outputs = [await invoke(lambda, 'scanner'), await invoke(lambda, 'scanner')];

  expect(outputs.map((o) => o.FunctionError)).toEqual(['Unhandled', 'Unhandled']);
  expect(server.throttled).toEqual({});
});

test('the limit is per function; other functions and asynchronous invocations are not throttled', async () => {
  const held = heldFunction();
  const other = heldFunction();
  const { server, lambda } = await start({ scanner: held.fn, updater: other.fn }, { scanner: 1 });
  const running = [invoke(lambda, 'scanner'), invoke(lambda, 'updater'), invoke(lambda, 'updater')];
  await until(() => held.started() === 1 && other.started() === 2);

  const queued = await lambda.send(
    new InvokeCommand({ FunctionName: 'scanner', InvocationType: 'Event', Payload: Buffer.from('{}') }),
  );

  expect(queued.StatusCode).toBe(202);
  await until(() => held.started() === 2);
  expect(server.throttled).toEqual({});
  expect(server.peakConcurrency).toEqual({ scanner: 2, updater: 2 });
  for (let i = 0; i < 2; i++) {
    held.releaseOne();
    other.releaseOne();
  }
  await Promise.all(running);
});

test('the local Step Functions runner names the throttle Lambda.TooManyRequestsException, as Retry and Catch match it', async () => {
  // Reserved concurrency 0, as AWS allows: every invocation of the function is throttled.
  const { lambda } = await start({ scanner: async () => ({}) }, { scanner: 0 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lambda-av-throttle-'));
  const definition = path.join(dir, 'invoke.asl.json');
  writeFileSync(
    definition,
    JSON.stringify({
      StartAt: 'Invoke',
      States: {
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'scanner', 'Payload.$': '$' },
          End: true,
        },
      },
    }),
  );
  const s3 = localS3Client({
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'nobody', secretAccessKey: 'nothing' },
  });
  try {
    const result = await runLocalExecution(definition, {}, { lambda, s3, substitutions: {} });

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'Lambda.TooManyRequestsException',
      cause: 'Rate Exceeded.',
    });
  } finally {
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
