import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../../../src/metrics';
import { EmfScanMetrics } from '../../../src/scan/scan-metrics';

function capture(run: () => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((text) => text.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

// The test setup silences metrics for the rest of the suite; these tests read them.
const saved = process.env.POWERTOOLS_METRICS_DISABLED;
beforeAll(() => {
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});
afterAll(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = saved;
});

function enabledMetrics(): EmfScanMetrics {
  return new EmfScanMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' }));
}

test('a scan emits its latency in Embedded Metric Format with the verdict as Status dimension', () => {
  const metrics = enabledMetrics();

  const [line] = capture(() => metrics.scanCompleted('INFECTED', 42));

  expect(line).toMatchObject({ ScanLatency: 42, Status: 'INFECTED', service: 'test' });
  const directive = (line?._aws as { CloudWatchMetrics: Array<Record<string, unknown>> } | undefined)
    ?.CloudWatchMetrics[0];
  expect(directive).toMatchObject({
    Namespace: 'LambdaAV',
    Metrics: [{ Name: 'ScanLatency', Unit: 'Milliseconds' }],
  });
  expect(directive?.Dimensions).toEqual([expect.arrayContaining(['Status'])]);
});

test('an unscannable object is counted under its own Status, apart from INFECTED', () => {
  const metrics = enabledMetrics();

  const [unscannable, infected] = capture(() => {
    metrics.scanCompleted('UNSCANNABLE', 7);
    metrics.scanCompleted('INFECTED', 9);
  });

  expect(unscannable).toMatchObject({ ScanLatency: 7, Status: 'UNSCANNABLE' });
  expect(infected).toMatchObject({ ScanLatency: 9, Status: 'INFECTED' });
});

test('a daemon start emits its start-up time', () => {
  const metrics = enabledMetrics();

  const [line] = capture(() => metrics.daemonStarted(1234));

  expect(line).toMatchObject({ DaemonStartupTime: 1234 });
});
