import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScanResult } from '../../src/scan/contract';
import { harnessPerTest, UPLOADS_BUCKET } from '../support/harness';
import { EICAR } from '../support/signatures';

const harness = harnessPerTest();

/** A zip whose one member is encrypted with a password: clamd cannot read it. */
function encryptedZip(): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lambda-av-encrypted-'));
  try {
    writeFileSync(path.join(dir, 'payslip.txt'), 'net pay: 1234.56');
    execFileSync('zip', ['-q', '-P', 'secret', 'out.zip', 'payslip.txt'], { cwd: dir });
    return readFileSync(path.join(dir, 'out.zip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test.each([
  [
    'report (the default): tagged with the UNSCANNABLE name',
    { FILE_STATUS_UNSCANNABLE: 'not-scanned' },
    'not-scanned',
  ],
  [
    'block-as-infected: tagged INFECTED as before UNSCANNABLE existed',
    { UNSCANNABLE_POLICY: 'block-as-infected', FILE_STATUS_INFECTED: 'quarantine' },
    'quarantine',
  ],
])(
  '%s; the result says it was unscannable and why, the metric counts it as UNSCANNABLE',
  async (_, env, status) => {
    const h = await harness({ env });
    await h.s3.put(UPLOADS_BUCKET, 'payslip.zip', encryptedZip(), { owner: 'hr' });

    const result = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'payslip.zip' })) as ScanResult;

    expect(result).toMatchObject({
      status,
      signature: 'Heuristics.Encrypted.Zip',
      unscannable: true,
      reason: 'encrypted',
    });
    expect(result.error).toBeUndefined();
    expect(await h.tags('payslip.zip')).toMatchObject({ owner: 'hr', 'av-status': status });
    expect(h.metrics.scans.map((s) => s.verdict)).toEqual(['UNSCANNABLE']);
  },
);

test('block-as-infected changes nothing for detected and clean objects', async () => {
  const h = await harness({ env: { UNSCANNABLE_POLICY: 'block-as-infected' } });
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
  await h.s3.put(UPLOADS_BUCKET, 'clean.txt', 'harmless');

  const infected = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })) as ScanResult;
  const clean = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'clean.txt' })) as ScanResult;

  expect(infected).toMatchObject({ status: 'INFECTED' });
  expect(infected.unscannable).toBeUndefined();
  expect(infected.reason).toBeUndefined();
  expect(clean).toMatchObject({ status: 'CLEAN' });
  expect(h.metrics.scans.map((s) => s.verdict)).toEqual(['INFECTED', 'CLEAN']);
});
