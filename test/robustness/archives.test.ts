import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ScanResult } from '../../src/scan/scan-object';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { EICAR } from '../support/signatures';
import { checkGuarantees, snapshot } from './guarantees';
import { record } from './ledger';

// A 4 MiB object limit: clamd may then extract 100 MiB from one object (MaxScanSize, at least 100 MiB).
const MAX = 4 * 1024 * 1024;

let h: Harness;
let work: string;
beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'lambda-av-archives-'));
  h = await startHarness({ env: { MAX_FILE_SIZE: String(MAX) } });
});
afterAll(async () => {
  await h.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Builds archives with Python's zipfile (the standard library's own writer). */
function python(script: string): Buffer {
  const out = path.join(work, `archive-${Math.random().toString(36).slice(2)}`);
  execFileSync('python3', ['-c', script, out, EICAR]);
  try {
    return readFileSync(out);
  } finally {
    rmSync(out, { force: true });
  }
}

const RATIO_BOMB = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('zeros.bin', b'\\0' * (200 << 20) + sys.argv[2].encode())`;

const DEEP = `
import io, sys, zipfile
data, name = sys.argv[2].encode(), 'eicar.com'
for level in range(25):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    data, name = buffer.getvalue(), f'level{level}.zip'
open(sys.argv[1], 'wb').write(data)`;

const DEEP_CLEAN = DEEP.replace('sys.argv[2].encode()', "b'harmless'");

const MANY_ENTRIES = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for i in range(10100):
        z.writestr(f'f{i}.txt', b'x')
    z.writestr('zz/eicar.txt', sys.argv[2].encode() * 3)`;

const ZIP64_STREAMED = (content: string) => `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    with z.open('payload.bin', 'w', force_zip64=True) as f:
        f.write(${content})`;

function encryptedZip(content: string): Buffer {
  const dir = mkdtempSync(path.join(work, 'enc-'));
  writeFileSync(path.join(dir, 'inside.txt'), content);
  execFileSync('zip', ['-q', '-P', 'secret', 'out.zip', 'inside.txt'], { cwd: dir });
  const zip = readFileSync(path.join(dir, 'out.zip'));
  rmSync(dir, { recursive: true, force: true });
  return zip;
}

// None of these can be scanned completely: each must come back as something other than CLEAN,
// and the signature says why.
test.each([
  [
    'compression-ratio bomb (200 MiB of zeros deflated, EICAR at its end)',
    () => python(RATIO_BOMB),
    /^Heuristics\.Limits\.Exceeded\.MaxScanSize$/,
  ],
  [
    '25 levels of nested zips around EICAR',
    () => python(DEEP),
    /^Heuristics\.Limits\.Exceeded\.MaxRecursion$/,
  ],
  [
    '25 levels of nested zips around harmless text',
    () => python(DEEP_CLEAN),
    /^Heuristics\.Limits\.Exceeded\.MaxRecursion$/,
  ],
  [
    'more entries than MaxFiles, EICAR last',
    () => python(MANY_ENTRIES),
    /^Heuristics\.Limits\.Exceeded\.MaxFiles$/,
  ],
  ['password-protected zip around EICAR', () => encryptedZip(EICAR), /^Heuristics\.Encrypted\.Zip$/],
  [
    'password-protected zip around harmless text',
    () => encryptedZip('harmless'),
    /^Heuristics\.Encrypted\.Zip$/,
  ],
  [
    'streamed zip64 member holding EICAR',
    () => python(ZIP64_STREAMED('sys.argv[2].encode()')),
    /^LambdaAV\.Unscannable\.Zip64LocalHeader\.UNOFFICIAL$/,
  ],
  [
    'streamed zip64 member, gzipped',
    () => gzipSync(python(ZIP64_STREAMED('sys.argv[2].encode()'))),
    /^LambdaAV\.Unscannable\.Zip64LocalHeader\.UNOFFICIAL$/,
  ],
  [
    'streamed zip64 member holding harmless text',
    () => python(ZIP64_STREAMED("b'harmless'")),
    /^LambdaAV\.Unscannable\.Zip64LocalHeader\.UNOFFICIAL$/,
  ],
])('%s is never reported CLEAN', async (label, build, signature) => {
  const key = `archives/${label}`;
  await h.s3.put(UPLOADS_BUCKET, key, build(), { owner: 'team-b' });
  const before = await snapshot(h, UPLOADS_BUCKET, key);
  record('input', `archive: ${label}`);

  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key })) as ScanResult;

  expect(result.status).toBe('INFECTED');
  expect(result.signature).toMatch(signature);
  await checkGuarantees(h, before);
});

test('an ordinary zip and gzip of clean text stay CLEAN (the policy signatures do not flag normal archives)', async () => {
  const zip = python(`
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('a.txt', 'hello ' * 1000)
    z.writestr('b/c.txt', 'world ' * 1000)`);
  await h.s3.put(UPLOADS_BUCKET, 'archives/ordinary.zip', zip);
  await h.s3.put(UPLOADS_BUCKET, 'archives/ordinary.gz', gzipSync(Buffer.from('hello '.repeat(10_000))));
  record('input', 'archive: ordinary zip and gzip');

  expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'archives/ordinary.zip' })).toMatchObject({
    status: 'CLEAN',
  });
  expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'archives/ordinary.gz' })).toMatchObject({
    status: 'CLEAN',
  });
});
