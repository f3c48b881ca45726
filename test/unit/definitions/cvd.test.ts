import { parseCvdHeader } from '../../../src/definitions/cvd';

// The header layout ClamAV writes (sigtool --build): nine colon-separated fields, NUL-padded to 512 bytes.
const header = (fields: string) => fields.padEnd(512, '\0');

test('a CVD header gives the version, the signature count and the build time', () => {
  const parsed = parseCvdHeader(
    header('ClamAV-VDB:07 Dec 2026 03-41 +0000:27475:2087245:90:a1b2c3:sig:builder:1796615000'),
    'daily.cvd',
  );

  expect(parsed).toEqual({
    name: 'daily.cvd',
    version: 27475,
    signatures: 2087245,
    builtAt: new Date(1796615000 * 1000),
  });
});

test('trailing spaces and padding after the last field are ignored', () => {
  expect(
    parseCvdHeader('ClamAV-VDB:date:62:6647427:90:md5:dsig:builder:1632830000   \0\0\0', 'main.cvd')?.builtAt,
  ).toEqual(new Date(1632830000 * 1000));
});

test.each([
  ['a plain-text database', 'Eicar-Test:0:*:58354f21'],
  ['an empty file', ''],
  ['a version that is not a number', 'ClamAV-VDB:date:x:1:90:md5:dsig:builder:1632830000'],
  ['a header cut before the build time', 'ClamAV-VDB:date:62:6647427'],
])('%s has no CVD header', (_, text) => {
  expect(parseCvdHeader(header(text), 'x.cvd')).toBeUndefined();
});
