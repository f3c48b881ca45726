import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { accountsSeen } from '../../../src/cli/status-metrics';
import { localCloudWatchClient, startLocalCloudWatch } from '../../../src/local/cloudwatch-server';
import { startMoto } from '../../support/moto';

// A judge the project did not write: moto's CloudWatch answers ListMetrics as `status` relies on
// (a dimension filter by name alone matches any value; a series without that dimension, or with
// another service, is left out), and the local CloudWatch the status test uses answers the same.

const scan = (dimensions: Record<string, string>) => ({
  MetricName: 'ScanLatency',
  Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
  Value: 12,
  Unit: 'Milliseconds' as const,
});
const METRICS = new PutMetricDataCommand({
  Namespace: 'LambdaAV',
  MetricData: [
    scan({ Status: 'CLEAN', service: 'lambda-av' }),
    scan({ Account: '333333333333', Status: 'INFECTED', service: 'lambda-av' }),
    scan({ Account: '222222222222', Status: 'CLEAN', service: 'lambda-av' }),
    scan({ Account: '222222222222', Status: 'UNSCANNABLE', service: 'lambda-av' }),
    scan({ Account: '444444444444', Status: 'CLEAN', service: 'another-service' }),
    scan({ Account: '555555555555', Status: 'CLEAN', service: 'lambda-av', Bucket: 'uploads' }),
  ],
});

test("moto and the local CloudWatch list the same accounts of lambda-av's per-account series", async () => {
  const moto = await startMoto();
  const local = await startLocalCloudWatch();
  const judge = new CloudWatchClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' },
  });
  const ours = localCloudWatchClient(local);
  try {
    await judge.send(METRICS);
    await ours.send(METRICS);

    const [byMoto, byOurs] = await Promise.all([accountsSeen(judge), accountsSeen(ours)]);

    expect(byMoto).toEqual(['222222222222', '333333333333']);
    expect(byOurs).toEqual(byMoto);
  } finally {
    judge.destroy();
    ours.destroy();
    await local.stop();
    await moto.stop();
  }
});
