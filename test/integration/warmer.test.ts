import { LambdaClient } from '@aws-sdk/client-lambda';
import { startLocalLambda } from '../../src/local/lambda-server';
import { type Harness, startHarness } from '../support/harness';

const FUNCTION = 'lambda-av-scanner';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

test('a warmer starts the daemon and scans nothing', async () => {
  h = await startHarness();

  const result = await h.handler({ warmer: true });

  expect(result).toMatchObject({ warmed: true, coldStart: true, fanOut: { requested: 0, succeeded: 0 } });
  expect(h.scanner.daemon.isAlive()).toBe(true);
  expect(h.metrics.scans).toHaveLength(0);
  expect(await h.handler({ warmer: true })).toMatchObject({ coldStart: false });
});

test('with WARM_CONCURRENCY 3 the warmer invokes its own function twice at once, and those do not fan out', async () => {
  const received: unknown[] = [];
  const lambdaServer = await startLocalLambda({
    [FUNCTION]: async (event) => {
      received.push(event);
      return h?.handler(event);
    },
  });
  const lambda = new LambdaClient({
    endpoint: lambdaServer.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    h = await startHarness({ env: { WARM_CONCURRENCY: '3', AWS_LAMBDA_FUNCTION_NAME: FUNCTION }, lambda });

    const result = await h.handler({ warmer: true });

    expect(result).toMatchObject({ warmed: true, fanOut: { requested: 2, succeeded: 2 } });
    expect(received).toEqual([
      { warmer: true, fanOut: false },
      { warmer: true, fanOut: false },
    ]);
  } finally {
    lambda.destroy();
    await lambdaServer.stop();
  }
});
