import { defaultMaxScanSize, maxScanTimeFor, renderClamdConf } from '../../../src/clamd/clamd-conf';
import { daemonOptionsFor } from '../../../src/clamd/daemon-settings';
import { loadConfig } from '../../../src/config';

function parse(conf: string): Record<string, string> {
  return Object.fromEntries(
    conf
      .trim()
      .split('\n')
      .map((line) => line.split(/ (.*)/s).slice(0, 2) as [string, string]),
  );
}

const base = { socketPath: '/w/clamd.sock', databaseDir: '/w/db', tempDir: '/w/tmp' };

test('the stream limit is the object limit, and oversize members trip the scan-size alert', () => {
  const max = 300 * 1024 * 1024;
  const conf = parse(renderClamdConf({ ...base, maxFileSize: max, maxScanSize: defaultMaxScanSize(max) }));

  expect(conf).toMatchObject({
    Foreground: 'yes',
    LocalSocket: '/w/clamd.sock',
    LocalSocketMode: '600',
    DatabaseDirectory: '/w/db',
    TemporaryDirectory: '/w/tmp',
    StreamMaxLength: String(max),
    AlertExceedsMax: 'yes',
    AlertEncrypted: 'yes',
  });
  expect(Number(conf.MaxFileSize)).toBeGreaterThanOrEqual(Number(conf.MaxScanSize));
  expect(Number(conf.MaxScanSize)).toBe(4 * max);
});

test('heuristic findings wait for the end of the scan, so a real detection in the same object wins', () => {
  const conf = parse(renderClamdConf({ ...base, maxFileSize: 1000, maxScanSize: 1000 }));

  expect(conf).toMatchObject({ HeuristicScanPrecedence: 'no' });
  expect(conf.AllMatchScan).toBeUndefined();
});

test('limits stay under ClamAV ceiling of 2 GiB per file', () => {
  const max = 2 ** 31 - 1;
  const conf = parse(renderClamdConf({ ...base, maxFileSize: max, maxScanSize: defaultMaxScanSize(max) }));

  expect(Number(conf.MaxFileSize)).toBe(2 ** 31 - 1);
  expect(Number(conf.MaxScanSize)).toBeGreaterThanOrEqual(max);
});

test('a scan size below the object limit is raised to it, so every accepted object is scanned whole', () => {
  const conf = parse(renderClamdConf({ ...base, maxFileSize: 5000, maxScanSize: 10 }));

  expect(conf.MaxScanSize).toBe('5000');
  expect(conf.MaxFileSize).toBe('5000');
});

test("clamd's own time limit is half the scan timeout, so its answer comes before ours", () => {
  const config = loadConfig({ CLAMAV_BUCKET_NAME: 'unused', CLAMD_SCAN_TIMEOUT_MS: '20000' });
  const options = daemonOptionsFor(config, '/w', '/w/db');
  const conf = parse(
    renderClamdConf({ ...base, maxFileSize: 1000, maxScanSize: 1000, maxScanTimeMs: options.maxScanTimeMs }),
  );

  expect(conf.MaxScanTime).toBe('10000');
  expect(conf.AlertExceedsMax).toBe('yes');
  // The default is ClamAV's own (120 s): half of the default CLAMD_SCAN_TIMEOUT_MS.
  expect(parse(renderClamdConf({ ...base, maxFileSize: 1000, maxScanSize: 1000 })).MaxScanTime).toBe(
    '120000',
  );
  expect(maxScanTimeFor(1)).toBe(1);
});
