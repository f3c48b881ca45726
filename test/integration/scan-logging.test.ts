import { Logger } from '@aws-lambda-powertools/logger';
import { Scanner } from '../../src/scan/scanner';
import { type Harness, RecordingMetrics, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { EICAR } from '../support/signatures';

// The scanner's log lines as the Lambda writes them (Powertools JSON on stdout): one INFO line per
// verdict, no warning for a clean, infected or skipped object.

let h: Harness;
let scanner: Scanner;
const savedLevel = process.env.POWERTOOLS_LOG_LEVEL;

beforeAll(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: '1024' } });
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  scanner = new Scanner({
    config: h.config,
    s3: h.s3.client,
    metrics: new RecordingMetrics(),
    logger: new Logger({ serviceName: 'lambda-av-test', logLevel: 'INFO' }),
  });
  await h.s3.put(UPLOADS_BUCKET, 'clean.txt', 'hello');
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
  await h.s3.put(UPLOADS_BUCKET, 'big.bin', Buffer.alloc(2048));
  await scanner.prepare();
});
afterAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
  await scanner.shutdown();
  await h.stop();
});

async function logLines(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  // Warnings go to stderr.
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation(capture),
  );
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

test.each([
  ['clean.txt', 'CLEAN'],
  ['eicar.com', 'INFECTED'],
  ['big.bin', 'SKIPPED'],
])('a scan of %s (%s) logs one INFO line with the whole result and no warning', async (key, status) => {
  const lines = await logLines(() => scanner.scan({ bucket: UPLOADS_BUCKET, key }));

  expect(lines.map((line) => line.level)).toEqual(['INFO']);
  expect(lines[0]).toMatchObject({ message: 'scan finished', status, key, scannedAt: expect.any(Number) });
});

test('a PROCESSING_ERROR logs one WARN line', async () => {
  const lines = await logLines(() => scanner.scan({ bucket: UPLOADS_BUCKET, key: 'missing.txt' }));

  expect(lines.map((line) => line.level)).toEqual(['WARN']);
  expect(lines[0]).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ObjectNotFoundError' });
});
