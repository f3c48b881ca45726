import { LambdaClient } from '@aws-sdk/client-lambda';
import { startLocalLambda } from '../../src/local/lambda-server';
import { logger } from '../../src/logger';
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
  expect(h.scanner.engine.daemon.isAlive()).toBe(true);
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
    credentials: lambdaServer.credentials,
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

test('the fan-out invokes what the warmer was invoked as: the alias with provisioned concurrency', async () => {
  const lambdaServer = await startLocalLambda({ [FUNCTION]: async (event) => h?.handler(event) });
  const lambda = new LambdaClient({
    endpoint: lambdaServer.endpoint,
    region: 'us-east-1',
    credentials: lambdaServer.credentials,
  });
  try {
    h = await startHarness({ env: { WARM_CONCURRENCY: '3', AWS_LAMBDA_FUNCTION_NAME: FUNCTION }, lambda });
    const alias = `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}:live`;

    const result = await h.handler({ warmer: true }, { invokedFunctionArn: alias });

    expect(result).toMatchObject({ warmed: true, fanOut: { requested: 2, succeeded: 2 } });
    expect(
      lambdaServer.invocations.map(({ functionName, qualifier }) => ({ functionName, qualifier })),
    ).toEqual([
      { functionName: FUNCTION, qualifier: 'live' },
      { functionName: FUNCTION, qualifier: 'live' },
    ]);
  } finally {
    lambda.destroy();
    await lambdaServer.stop();
  }
});

test('with no definitions published the warmer says so, once in the log, and does not fail', async () => {
  h = await startHarness({ definitions: false });
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  try {
    const first = await h.handler({ warmer: true });
    const second = await h.handler({ warmer: true });

    for (const result of [first, second]) {
      expect(result).toMatchObject({
        warmed: false,
        reason: expect.stringMatching(/no ClamAV database files found/),
      });
    }
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      'no definitions published yet: nothing to warm up with',
    ]);
    expect(h.metrics.definitionsMissingCount).toBe(2);
    expect(h.scanner.engine.daemon.isAlive()).toBe(false);
  } finally {
    warn.mockRestore();
  }
});
