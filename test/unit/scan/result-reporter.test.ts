import { loadConfig } from '../../../src/config';
import type { Verdict } from '../../../src/scan/contract';
import { ResultReporter } from '../../../src/scan/result-reporter';
import type { ScanMetrics } from '../../../src/scan/scan-metrics';

const HUB = '111111111111';
const MEMBER = '222222222222';

function reporter(env: Record<string, string>) {
  const counted: Array<{ verdict: Verdict; account?: string }> = [];
  const metrics: ScanMetrics = {
    scanCompleted: (verdict, _durationMs, account) =>
      counted.push({ verdict, ...(account !== undefined ? { account } : {}) }),
    daemonStarted: () => undefined,
    definitionsMissing: () => undefined,
    resultEventFailed: () => undefined,
  };
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const config = loadConfig({ CLAMAV_BUCKET_NAME: 'defs', ...env });
  return { counted, reporter: new ResultReporter({ config, metrics, log: silent }) };
}

const result = (account?: string) => ({
  status: 'CLEAN',
  bucket: 'uploads',
  key: 'a.txt',
  durationMs: 5,
  ...(account !== undefined ? { account } : {}),
});

test("on a hub every scan is counted under an account: a member's under its own, the hub's objects under the hub's", async () => {
  const { counted, reporter: hub } = reporter({
    ORGANIZATION: JSON.stringify({ hubAccount: HUB, partition: 'aws', memberRoleName: 'lambda-av-member' }),
  });

  await hub.report('CLEAN', result(MEMBER), {});
  await hub.report('INFECTED', result(), {});

  expect(counted).toEqual([
    { verdict: 'CLEAN', account: MEMBER },
    { verdict: 'INFECTED', account: HUB },
  ]);
});

test('a single-account deployment counts scans without an account dimension', async () => {
  const { counted, reporter: single } = reporter({});

  await single.report('CLEAN', result(), {});

  expect(counted).toEqual([{ verdict: 'CLEAN' }]);
});
