import { exitCode, type FileResult, formatResult, formatSummary, summarise } from '../../../src/cli/report';
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
