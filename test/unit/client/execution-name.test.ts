import { scanExecutionName } from '../../../src/client/execution-name';

const VALID = /^[A-Za-z0-9_-]{1,80}$/;

test('names are deterministic, valid and carry the attempt', () => {
  const object = { bucket: 'uploads', key: 'invoices/2026/report final.pdf' };

  const first = scanExecutionName(object);

  expect(first).toBe(scanExecutionName({ ...object }));
  expect(first).toMatch(/^scan-report_final_pdf-[0-9a-f]{20}-1$/);
  expect(scanExecutionName(object, 2)).toMatch(/-2$/);
});

test.each([
  'a'.repeat(1024),
  'ünïcödé/файл 日本語 🦠.txt',
  '$(touch /tmp/x); `id` "quotes" \'single\'',
  '../../etc/passwd',
  'new\nline\ttab',
  '%41%2F+plus:colon@at',
  '////',
])('any key gives a valid name of at most 80 characters: %j', (key) => {
  const name = scanExecutionName({ bucket: 'b', key });

  expect(name).toMatch(VALID);
});

test('bucket, key and version each make the name unique', () => {
  const names = new Set([
    scanExecutionName({ bucket: 'a', key: 'same/file.txt' }),
    scanExecutionName({ bucket: 'b', key: 'same/file.txt' }),
    scanExecutionName({ bucket: 'a', key: 'other/file.txt' }),
    scanExecutionName({ bucket: 'a', key: 'same/file.txt', versionId: 'v2' }),
    scanExecutionName({ bucket: 'a', key: `${'x'.repeat(200)}1` }),
    scanExecutionName({ bucket: 'a', key: `${'x'.repeat(200)}2` }),
  ]);

  expect(names.size).toBe(6);
});

test('an attempt below 1 is refused', () => {
  expect(() => scanExecutionName({ bucket: 'b', key: 'k' }, 0)).toThrow(RangeError);
});
