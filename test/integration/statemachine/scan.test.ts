import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { placeholdersOf } from '../../../src/asl/placeholders';
import { budgetedRetriers } from '../../../src/asl/retry-budget';
import { SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { objectCreatedEvent } from '../../support/events';
import {
  DEFINITIONS_BUCKET,
  DEFINITIONS_PREFIX,
  type Harness,
  startHarness,
  UPLOADS_BUCKET,
} from '../../support/harness';
import { encryptPdf, minimalPdf } from '../../support/pdf';
import { uploadDirectory } from '../../support/s3';
import { EICAR, writeTestDatabase } from '../../support/signatures';
import {
  functionArn,
  SCANNER_FUNCTION,
  startWorkflow,
  statesEntered,
  type Workflow,
} from '../../support/workflow';

const MAX = 64 * 1024;
const FAST_RETRIES = { Scan: 5, TagSkipped: 5, TagProcessingError: 5, HeadObject: 5, HeadObjectVersion: 5 };

let h: Harness;
let wf: Workflow;
let faults: Array<{ status: number; type: string }> = [];
let scannerWrapper: ((event: unknown) => Promise<unknown>) | undefined;

beforeEach(async () => {
  h = await startHarness({ env: { MAX_FILE_SIZE: String(MAX) } });
  faults = [];
  scannerWrapper = undefined;
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: (event) => (scannerWrapper ?? h.handler)(event) },
    {
      s3: h.s3.client,
      substitutions: { ScannerFunctionArn: functionArn(SCANNER_FUNCTION), MaxFileSize: String(MAX) },
      retryIntervalOverrides: FAST_RETRIES,
    },
    () => faults.shift(),
  );
});
afterEach(async () => {
  await wf.stop();
  await h.stop();
});

function scanEvents() {
  return wf.lambdaServer.invocations.map((i) => i.event as Record<string, unknown>);
}

test('the ASL placeholders are exactly the ones this test and the infrastructure substitute', () => {
  expect(placeholdersOf(readFileSync(SCAN_STATE_MACHINE, 'utf8'))).toEqual([
    'MaxFileSize',
    'Partition',
    'ScannerFunctionArn',
  ]);
});

test('a clean object a client names: head, size check, scan, 4 states entered; the output is the scan result', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'docs/clean.txt', 'hello', { owner: 'team-a' });

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'docs/clean.txt' });

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(['ReadInput', 'HeadObject', 'CheckSize', 'Scan']);
  expect(result.output).toMatchObject({
    status: 'CLEAN',
    bucket: UPLOADS_BUCKET,
    key: 'docs/clean.txt',
    size: 5,
  });
  expect(await h.tags('docs/clean.txt')).toMatchObject({ owner: 'team-a', 'av-status': 'CLEAN' });
});

test('an infected object is reported INFECTED with its signature', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'eicar.com' });

  expect(result.output).toMatchObject({ status: 'INFECTED', signature: 'Eicar-Test-Signature.UNOFFICIAL' });
  expect((await h.tags('eicar.com'))['av-status']).toBe('INFECTED');
});

test('a password-protected PDF is UNSCANNABLE: the output carries the reason and clamd heuristic', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'payslip.pdf', encryptPdf(minimalPdf(), { user: 'secret', owner: 'hr' }));

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'payslip.pdf' });

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(['ReadInput', 'HeadObject', 'CheckSize', 'Scan']);
  expect(result.output).toMatchObject({
    status: 'UNSCANNABLE',
    signature: 'Heuristics.Encrypted.PDF',
    unscannable: true,
    reason: 'encrypted',
  });
  expect((await h.tags('payslip.pdf'))['av-status']).toBe('UNSCANNABLE');
});

test('an object over the limit is tagged SKIPPED without being read or scanned; its other tags survive', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'big.bin', Buffer.concat([Buffer.from(EICAR), Buffer.alloc(MAX)]), {
    keep: 'me',
  });

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'big.bin' });

  expect(statesEntered(result)).toEqual(['ReadInput', 'HeadObject', 'CheckSize', 'TagSkipped']);
  expect(result.output).toMatchObject({ status: 'SKIPPED', key: 'big.bin', size: MAX + EICAR.length });
  expect(await h.tags('big.bin')).toMatchObject({ keep: 'me', 'av-status': 'SKIPPED' });
  expect(scanEvents()).toEqual([
    {
      executionArn: expect.stringMatching(/^arn:aws:states:.*:execution:/),
      tag: {
        verdict: 'SKIPPED',
        object: {
          bucket: UPLOADS_BUCKET,
          key: 'big.bin',
          head: { size: MAX + EICAR.length, maxFileSize: MAX },
        },
        size: MAX + EICAR.length,
      },
    },
  ]);
  expect(h.scanner.engine.daemon.isAlive()).toBe(false);
});

test('an object over the limit with no room for our tags ends in PROCESSING_ERROR, its tags intact', async () => {
  const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, `v${i}`]));
  await h.s3.put(UPLOADS_BUCKET, 'big-tagged.bin', Buffer.alloc(MAX + 1), ten);

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'big-tagged.bin' });

  expect(statesEntered(result).at(-1)).toBe('TagSkipped');
  expect(result.output).toMatchObject({
    status: 'PROCESSING_ERROR',
    error: 'TagLimitExceededError',
    size: MAX + 1,
  });
  expect(await h.tags('big-tagged.bin')).toEqual(ten);
});

test('a missing object ends in PROCESSING_ERROR naming ObjectNotFoundError, with the S3 error as cause', async () => {
  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'gone.txt' });

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(['ReadInput', 'HeadObject', 'TagProcessingError']);
  expect(result.output).toMatchObject({
    status: 'PROCESSING_ERROR',
    key: 'gone.txt',
    error: 'ObjectNotFoundError',
  });
  expect((result.output as { reason: string }).reason).toMatch(
    /s3:\/\/uploads\/gone.txt does not exist .*\(S3\.\w+Exception: /,
  );
  expect(result.events.some((e) => e.type === 'StateCaught' || e.type === 'StateFailed')).toBe(true);
});

test('an object deleted between the size check and the scan gives PROCESSING_ERROR from the scanner', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'short-lived.txt', 'x');
  scannerWrapper = async (event) => {
    if ((event as { scan?: { key?: string } }).scan?.key === 'short-lived.txt') {
      await h.s3.client.send(new DeleteObjectCommand({ Bucket: UPLOADS_BUCKET, Key: 'short-lived.txt' }));
    }
    return h.handler(event);
  };

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'short-lived.txt' });

  expect(result.output).toMatchObject({ status: 'PROCESSING_ERROR', error: 'ObjectNotFoundError' });
});

async function removeDefinitions(): Promise<void> {
  for (const name of ['test.hdb', 'test.ndb']) {
    await h.s3.client.send(
      new DeleteObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: `${DEFINITIONS_PREFIX}/${name}` }),
    );
  }
}

test('no definitions published yet: the scan waits for the first set, then succeeds', async () => {
  await removeDefinitions();
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
  let startupFailures = 0;
  scannerWrapper = async (event) => {
    try {
      return await h.handler(event);
    } catch (error) {
      if ((error as Error).name === 'DefinitionsNotPublishedError' && ++startupFailures === 2) {
        const dir = path.join(h.workDir, 'late-db');
        await writeTestDatabase(dir);
        await uploadDirectory(h.s3, DEFINITIONS_BUCKET, dir, DEFINITIONS_PREFIX);
      }
      throw error;
    }
  };

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'eicar.com' });

  const failures = result.events.filter((e) => e.type === 'StateFailed' && e.state === 'Scan');
  expect(failures.map((e) => e.error)).toEqual([
    'DefinitionsNotPublishedError',
    'DefinitionsNotPublishedError',
  ]);
  expect(result.events.filter((e) => e.type === 'StateRetried' && e.state === 'Scan')).toHaveLength(2);
  expect(result.output).toMatchObject({ status: 'INFECTED' });
});

test('no definitions until the retry budget is spent ends in PROCESSING_ERROR with the cause', async () => {
  await removeDefinitions();
  await h.s3.put(UPLOADS_BUCKET, 'file.txt', 'data', { team: 'x' });
  const budgeted = budgetedRetriers(JSON.parse(readFileSync(SCAN_STATE_MACHINE, 'utf8'))).find(
    (r) => r.state === 'Scan' && r.retrier.ErrorEquals.includes('DefinitionsNotPublishedError'),
  );

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'file.txt' });

  expect(budgeted?.retrier.MaxAttempts).toBe(35);
  expect(result.events.filter((e) => e.type === 'StateRetried' && e.state === 'Scan')).toHaveLength(35);
  expect(statesEntered(result).at(-1)).toBe('TagProcessingError');
  expect(result.output).toMatchObject({ status: 'PROCESSING_ERROR', error: 'DefinitionsNotPublishedError' });
  expect((result.output as { reason: string }).reason).toContain('no ClamAV database files found');
  expect(await h.tags('file.txt')).toMatchObject({ team: 'x', 'av-status': 'PROCESSING_ERROR' });
});

test('a Lambda service error is retried', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'retry.txt', 'data');
  faults = [{ status: 500, type: 'ServiceException' }];

  const result = await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'retry.txt' });

  const failed = result.events.filter((e) => e.type === 'StateFailed');
  expect(failed.map((e) => `${e.state}:${e.error}`)).toEqual(['Scan:Lambda.ServiceException']);
  expect(result.events.some((e) => e.type === 'StateRetried' && e.state === 'Scan')).toBe(true);
  expect(result.output).toMatchObject({ status: 'CLEAN' });
});

test('an EventBridge event goes straight to the scanner, 2 states entered: it finds the object and scans it', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'in box/a+b.txt', EICAR);
  const event = await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, 'in box/a+b.txt', {
    eventKey: 'in+box/a%2Bb.txt',
  });

  const result = await wf.run(SCAN_STATE_MACHINE, event);

  expect(statesEntered(result)).toEqual(['ReadInput', 'Scan']);
  expect(result.output).toMatchObject({ status: 'INFECTED', key: 'in box/a+b.txt' });
});

test('a request with a versionId heads that version', async () => {
  await h.s3.put(UPLOADS_BUCKET, 'versioned.txt', 'data');

  const result = await wf.run(SCAN_STATE_MACHINE, {
    bucket: UPLOADS_BUCKET,
    key: 'versioned.txt',
    versionId: 'v1',
  });

  expect(statesEntered(result)).toContain('HeadObjectVersion');
  expect(statesEntered(result)).not.toContain('HeadObject');
});
