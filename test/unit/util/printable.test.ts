import { printable } from '../../../src/util/printable';

test('plain names, spaces and non-ASCII letters are printed as they are', () => {
  expect(printable('dir/report 2026 (final).pdf')).toBe('dir/report 2026 (final).pdf');
  expect(printable('Fürth/日本語/émoji-🎉.txt')).toBe('Fürth/日本語/émoji-🎉.txt');
});

test('a newline, a carriage return and escape sequences cannot start a forged line', () => {
  const forged = 'x\ns3://uploads/report.pdf: CLEAN\r\x1b[2K\x1b[1A';
  const shown = printable(forged);
  expect(shown).toBe('x\\ns3://uploads/report.pdf: CLEAN\\r\\e[2K\\e[1A');
  expect([...shown].filter((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toEqual([]);
});

test('the backslash is escaped too, so a literal "\\n" in a name differs from a newline', () => {
  expect(printable('a\\nb')).toBe('a\\\\nb');
  expect(printable('a\nb')).toBe('a\\nb');
});

test('DEL, C1 controls, line separators and bidi overrides are escaped', () => {
  expect(printable('a\x7fb\x9bc')).toBe('a\\x7fb\\x9bc');
  expect(printable('a\u2028b\u202egnp.exe')).toBe('a\\u2028b\\u202egnp.exe');
});

test('bytes that are not UTF-8 are written as \\xNN, valid sequences around them as text', () => {
  const name = Buffer.concat([Buffer.from('bad'), Buffer.from([0xff, 0xfe]), Buffer.from('utf8-é.com')]);
  expect(printable(name)).toBe('bad\\xff\\xfeutf8-é.com');
});

test('truncated, overlong and surrogate UTF-8 sequences are bytes, not text', () => {
  expect(printable(Buffer.from([0x61, 0xe2, 0x82]))).toBe('a\\xe2\\x82');
  expect(printable(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf');
  expect(printable(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80');
  expect(printable(Buffer.from([0xf0, 0x9f, 0x8e, 0x89]))).toBe('🎉');
});
