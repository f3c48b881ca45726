import type { CommandIo } from '../../../src/cli/command-io';
import {
  exitCode,
  type FileResult,
  formatResult,
  formatSummary,
  jsonResult,
  ScanReport,
  summarise,
} from '../../../src/cli/report';
import { loadConfig } from '../../../src/config';

const names = loadConfig({ CLAMAV_BUCKET_NAME: 'unused' }).statusNames;

function file(status: string, extra: Partial<FileResult> = {}): FileResult {
  return { path: `f-${status}`, status, durationMs: 1, ...extra };
}

test('unscannable files have their own count, apart from infected files and errors', () => {
  const summary = summarise(
    [
      file('CLEAN'),
      file('UNSCANNABLE', { unscannable: true, reason: 'encrypted' }),
      file('UNSCANNABLE', { unscannable: true, reason: 'limits-exceeded', limit: 'MaxFiles' }),
      file('INFECTED'),
      file('PROCESSING_ERROR', { error: 'ObjectReadError' }),
    ],
    names,
    10,
  );

  expect(summary).toEqual({
    files: 5,
    clean: 1,
    infected: 1,
    unscannable: 2,
    skipped: 0,
    errors: 1,
    notScanned: 0,
    durationMs: 10,
  });
  expect(formatSummary(summary)).toContain('Infected: 1\nUnscannable (not fully scanned): 2\n');
});

test("with GuardDuty's names, SKIPPED and UNSCANNABLE share UNSUPPORTED and are still counted apart", () => {
  const guardDuty = loadConfig({
    CLAMAV_BUCKET_NAME: 'unused',
    FILE_STATUS_CLEAN: 'NO_THREATS_FOUND',
    FILE_STATUS_INFECTED: 'THREATS_FOUND',
    FILE_STATUS_UNSCANNABLE: 'UNSUPPORTED',
    FILE_STATUS_SKIPPED: 'UNSUPPORTED',
    FILE_STATUS_PROCESSING_ERROR: 'FAILED',
  }).statusNames;

  const summary = summarise(
    [
      file('UNSUPPORTED', { unscannable: true, reason: 'encrypted' }),
      file('UNSUPPORTED'),
      file('FAILED', { error: 'AccessDeniedError' }),
      file('THREATS_FOUND'),
    ],
    guardDuty,
    1,
  );

  expect(summary).toMatchObject({ unscannable: 1, skipped: 1, errors: 1, infected: 1, clean: 0 });
});

test.each([
  ['all clean', ['CLEAN', 'CLEAN'], 0],
  ['an unscannable file among clean ones: it could not be judged', ['CLEAN', 'UNSCANNABLE'], 2],
  ['an infected file wins over an unscannable one', ['UNSCANNABLE', 'INFECTED'], 1],
  ['a skipped file', ['SKIPPED'], 2],
  ['an error', ['PROCESSING_ERROR'], 2],
])('exit code, as clamscan: %s', (_, statuses, code) => {
  expect(
    exitCode(
      summarise(
        statuses.map((status) => file(status)),
        names,
        0,
      ),
    ),
  ).toBe(code);
});

test('an unscannable line names the heuristic and why the file could not be scanned completely', () => {
  expect(
    formatResult(
      file('UNSCANNABLE', {
        path: 'big.zip',
        signature: 'Heuristics.Limits.Exceeded.MaxFiles',
        unscannable: true,
        reason: 'limits-exceeded',
        limit: 'MaxFiles',
      }),
    ),
  ).toBe(
    'big.zip: UNSCANNABLE Heuristics.Limits.Exceeded.MaxFiles (not fully scanned: limit MaxFiles exceeded) [1 ms]',
  );
  expect(
    formatResult(
      file('INFECTED', {
        path: 'a.pdf',
        signature: 'Heuristics.Encrypted.PDF',
        unscannable: true,
        reason: 'encrypted',
      }),
    ),
  ).toBe('a.pdf: INFECTED Heuristics.Encrypted.PDF (not fully scanned: encrypted) [1 ms]');
});

function capture(): { io: CommandIo; text: () => string } {
  const chunks: string[] = [];
  return {
    io: { out: (line) => chunks.push(`${line}\n`), err: () => undefined, env: {} },
    text: () => chunks.join(''),
  };
}

test.each([0, 1, 2500])(
  'the streamed JSON report of %i files is one valid document with every result',
  async (count) => {
    const { io, text } = capture();
    const report = new ScanReport(io, { json: true, names, progress: false });

    for (let i = 0; i < count; i++) {
      await report.add({ path: `f${i}`, status: i % 10 === 0 ? 'INFECTED' : 'CLEAN', durationMs: 1 });
    }
    report.finish(42, { definitions: 'test' });
    const document = JSON.parse(text());

    expect(document.results).toHaveLength(count);
    expect(document.results.map((r: { path: string }) => r.path)).toEqual(
      Array.from({ length: count }, (_, i) => `f${i}`),
    );
    expect(document.summary).toEqual({
      files: count,
      clean: count - Math.ceil(count / 10),
      infected: Math.ceil(count / 10),
      unscannable: 0,
      skipped: 0,
      errors: 0,
      notScanned: 0,
      durationMs: 42,
      definitions: 'test',
    });
  },
);

test('results are written in batches, not a write per file, and all of them by the summary', async () => {
  const writes: string[] = [];
  const report = new ScanReport(
    { out: (text) => writes.push(text), err: () => undefined, env: {} },
    { json: false, names, progress: false },
  );

  for (let i = 0; i < 2000; i++)
    await report.add({ path: `/some/where/file-${i}.txt`, status: 'CLEAN', durationMs: 3 });
  report.finish(10);
  const lines = writes.join('\n').split('\n');

  expect(writes.length).toBeLessThan(20);
  expect(lines.filter((line) => line.endsWith(': CLEAN [3 ms]'))).toHaveLength(2000);
  expect(lines).toContain('Files scanned: 2000');
});

test('a directory or PATH that could not be scanned is counted apart from files, and exits 2', () => {
  const summary = summarise(
    [
      file('CLEAN'),
      file('PROCESSING_ERROR', {
        notScanned: 'directory',
        error: 'cannot read the directory: permission denied',
      }),
      file('PROCESSING_ERROR', { notScanned: 'path', error: 'no such file or directory' }),
    ],
    names,
    10,
  );

  expect(summary).toMatchObject({ files: 1, clean: 1, errors: 0, notScanned: 2 });
  expect(exitCode(summary)).toBe(2);
  expect(formatSummary(summary)).toContain(
    'Files scanned: 1\nClean: 1\nInfected: 0\nUnscannable (not fully scanned): 0\nSkipped (over the size limit): 0\nErrors: 0\nNot scanned (directories not read, PATHs missing or not files): 2\n',
  );
});

test('a name cannot end its line early or pose as another verdict: control characters are escaped', () => {
  const forged = 'a.txt: CLEAN [1 ms]\nevil.com';

  expect(formatResult(file('INFECTED', { path: forged, signature: 'Eicar' }))).toBe(
    'a.txt: CLEAN [1 ms]\\nevil.com: INFECTED Eicar [1 ms]',
  );
  expect(formatResult(file('CLEAN', { path: 'x\r\u001b[2Ky' }))).toBe('x\\r\\e[2Ky: CLEAN [1 ms]');
  expect(formatResult(file('PROCESSING_ERROR', { path: 'p', error: 'ObjectReadError: bad\nline' }))).toBe(
    'p: PROCESSING_ERROR (ObjectReadError: bad\\nline) [1 ms]',
  );
});

test('a name that is not UTF-8 is printed with \\xNN, and in JSON as text plus its exact bytes', () => {
  const bytes = Buffer.from([0x44, 0x2f, 0x62, 0xff, 0xfe, 0x2e, 0x63, 0x6f, 0x6d]); // D/b\xff\xfe.com
  const utf8 = Buffer.from('D/caf\u00e9.txt');

  expect(formatResult(file('INFECTED', { path: bytes }))).toBe('D/b\\xff\\xfe.com: INFECTED [1 ms]');
  expect(JSON.parse(jsonResult(file('INFECTED', { path: bytes })))).toEqual({
    path: 'D/b\\xff\\xfe.com',
    pathBase64: bytes.toString('base64'),
    status: 'INFECTED',
    durationMs: 1,
  });
  expect(Buffer.from(JSON.parse(jsonResult(file('CLEAN', { path: bytes }))).pathBase64, 'base64')).toEqual(
    bytes,
  );
  expect(JSON.parse(jsonResult(file('CLEAN', { path: utf8 })))).toEqual({
    path: 'D/caf\u00e9.txt',
    status: 'CLEAN',
    durationMs: 1,
  });
});
