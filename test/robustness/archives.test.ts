import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ScanResult } from '../../src/scan/contract';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { encryptPdf, minimalPdf } from '../support/pdf';
import { EICAR, EICAR_SIGNATURE } from '../support/signatures';
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
function python(script: string, content = EICAR): Buffer {
  const out = path.join(work, `archive-${Math.random().toString(36).slice(2)}`);
  execFileSync('python3', ['-c', script, out, content]);
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

/** Python scripts writing `content` (sys.argv[2]) first, then something that trips a limit. */
const FIRST_THEN_MANY_ENTRIES = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('a/first.txt', sys.argv[2].encode())
    for i in range(10100):
        z.writestr(f'f{i}.txt', b'x')`;

const FIRST_THEN_RATIO_BOMB = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('a/first.txt', sys.argv[2].encode())
    z.writestr('zeros.bin', b'\\0' * (200 << 20))`;

const ZIP64_STREAMED_THEN = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    with z.open('payload.bin', 'w', force_zip64=True) as f:
        f.write(b'harmless')
    z.writestr('z/last.txt', sys.argv[2].encode())`;

/** A zip whose first member is encrypted and whose second holds `content`, not encrypted. */
function encryptedMemberThen(content: string): Buffer {
  const dir = mkdtempSync(path.join(work, 'mixed-'));
  writeFileSync(path.join(dir, 'secret.txt'), 'harmless');
  writeFileSync(path.join(dir, 'last.txt'), content);
  execFileSync('zip', ['-q', '-P', 'secret', 'out.zip', 'secret.txt'], { cwd: dir });
  execFileSync('zip', ['-q', 'out.zip', 'last.txt'], { cwd: dir });
  const zip = readFileSync(path.join(dir, 'out.zip'));
  rmSync(dir, { recursive: true, force: true });
  return zip;
}

async function scanCase(label: string, body: Buffer) {
  const key = `archives/${label}`;
  await h.s3.put(UPLOADS_BUCKET, key, body, { owner: 'team-b' });
  const before = await snapshot(h, UPLOADS_BUCKET, key);
  record('input', `archive: ${label}`);
  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key })) as ScanResult;
  return { key, before, result };
}

function expectNeverClean(result: ScanResult): void {
  expect(result.status).not.toBe(h.config.statusNames.CLEAN);
  record('guarantee', 'never reported CLEAN');
  if (result.unscannable) {
    const limit = result.limit ? ` (${result.limit})` : '';
    record('unscannable', `${result.reason}${limit}: ${result.signature}`);
  }
}

// None of these can be scanned completely: each comes back UNSCANNABLE (never CLEAN), tagged so,
// with clamd's heuristic name as its signature and the reason it could not be scanned.
test.each([
  [
    'compression-ratio bomb (200 MiB of zeros deflated, EICAR at its end)',
    () => python(RATIO_BOMB),
    'Heuristics.Limits.Exceeded.MaxScanSize',
    { reason: 'limits-exceeded', limit: 'MaxScanSize' },
  ],
  [
    '25 levels of nested zips around EICAR',
    () => python(DEEP),
    'Heuristics.Limits.Exceeded.MaxRecursion',
    { reason: 'limits-exceeded', limit: 'MaxRecursion' },
  ],
  [
    '25 levels of nested zips around harmless text',
    () => python(DEEP_CLEAN),
    'Heuristics.Limits.Exceeded.MaxRecursion',
    { reason: 'limits-exceeded', limit: 'MaxRecursion' },
  ],
  [
    'more entries than MaxFiles, EICAR last',
    () => python(MANY_ENTRIES),
    'Heuristics.Limits.Exceeded.MaxFiles',
    { reason: 'limits-exceeded', limit: 'MaxFiles' },
  ],
  [
    'password-protected zip around EICAR',
    () => encryptedZip(EICAR),
    'Heuristics.Encrypted.Zip',
    { reason: 'encrypted' },
  ],
  [
    'password-protected zip around harmless text',
    () => encryptedZip('harmless'),
    'Heuristics.Encrypted.Zip',
    { reason: 'encrypted' },
  ],
  [
    'PDF with a user password (AES-256)',
    () => encryptPdf(minimalPdf(), { user: 'secret', owner: 'owner' }),
    'Heuristics.Encrypted.PDF',
    { reason: 'encrypted' },
  ],
  [
    'PDF with a user password (AES-256) holding EICAR',
    () => encryptPdf(minimalPdf({ attachment: EICAR }), { user: 'secret', owner: 'owner' }),
    'Heuristics.Encrypted.PDF',
    { reason: 'encrypted' },
  ],
  [
    'streamed zip64 member holding EICAR',
    () => python(ZIP64_STREAMED('sys.argv[2].encode()')),
    'LambdaAV.Unscannable.Zip64LocalHeader.UNOFFICIAL',
    { reason: 'unsupported-format' },
  ],
  [
    'streamed zip64 member, gzipped',
    () => gzipSync(python(ZIP64_STREAMED('sys.argv[2].encode()'))),
    'LambdaAV.Unscannable.Zip64LocalHeader.UNOFFICIAL',
    { reason: 'unsupported-format' },
  ],
  [
    'streamed zip64 member holding harmless text',
    () => python(ZIP64_STREAMED("b'harmless'")),
    'LambdaAV.Unscannable.Zip64LocalHeader.UNOFFICIAL',
    { reason: 'unsupported-format' },
  ],
])('%s is UNSCANNABLE, never CLEAN', async (label, build, signature, why) => {
  const { key, before, result } = await scanCase(label, build());

  expectNeverClean(result);
  expect(result).toMatchObject({ status: 'UNSCANNABLE', signature, unscannable: true, ...why });
  expect(await h.tags(key)).toMatchObject({ 'av-status': 'UNSCANNABLE' });
  expect(h.metrics.scans.at(-1)?.verdict).toBe('UNSCANNABLE');
  await checkGuarantees(h, before);
});

// clamd holds heuristic findings to the end of the scan (HeuristicScanPrecedence no) and reports
// a real detection ahead of them: malware next to an encrypted member, or before a limit is
// reached, is INFECTED. The same archive with harmless text instead of EICAR shows that it does
// trip the limit.
test.each([
  [
    'EICAR first, then more entries than MaxFiles',
    (content: string) => python(FIRST_THEN_MANY_ENTRIES, content),
    'Heuristics.Limits.Exceeded.MaxFiles',
  ],
  [
    'EICAR first, then a compression-ratio bomb over MaxScanSize',
    (content: string) => python(FIRST_THEN_RATIO_BOMB, content),
    'Heuristics.Limits.Exceeded.MaxScanSize',
  ],
  ['an encrypted member, then EICAR', encryptedMemberThen, 'Heuristics.Encrypted.Zip'],
  [
    'a streamed zip64 member, then EICAR',
    (content: string) => python(ZIP64_STREAMED_THEN, content),
    'LambdaAV.Unscannable.Zip64LocalHeader.UNOFFICIAL',
  ],
])('%s: the real detection wins, INFECTED', async (label, build, heuristic) => {
  const twin = await scanCase(`${label} (harmless text instead)`, build('harmless'));
  expectNeverClean(twin.result);
  expect(twin.result).toMatchObject({ status: 'UNSCANNABLE', signature: heuristic });

  const { key, before, result } = await scanCase(label, build(EICAR));

  expectNeverClean(result);
  expect(result).toMatchObject({ status: 'INFECTED', signature: `${EICAR_SIGNATURE}.UNOFFICIAL` });
  expect(result.unscannable).toBeUndefined();
  expect(await h.tags(key)).toMatchObject({ 'av-status': 'INFECTED' });
  record('guarantee', 'a real detection wins over an unscannable heuristic');
  await checkGuarantees(h, before);
});

test('a PDF with an owner password only is decrypted and scanned: EICAR inside is INFECTED, harmless text CLEAN', async () => {
  const owned = (attachment: string) => encryptPdf(minimalPdf({ attachment }), { user: '', owner: 'owner' });

  const infected = await scanCase('PDF with an owner password only, holding EICAR', owned(EICAR));
  const clean = await scanCase('PDF with an owner password only, harmless', owned('harmless'));

  expect(infected.result).toMatchObject({ status: 'INFECTED', signature: `${EICAR_SIGNATURE}.UNOFFICIAL` });
  expect(clean.result).toMatchObject({ status: 'CLEAN' });
  expect(clean.result.unscannable).toBeUndefined();
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
