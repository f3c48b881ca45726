import { parseManifest } from '../../../src/definitions/manifest';

const file = {
  name: 'daily.cvd',
  key: 'clamav/objects/ab/daily.cvd',
  size: 1024,
  sha256: 'a'.repeat(64),
  builtAt: '2026-12-07T00:00:00.000Z',
};
const manifest = (files: unknown[]) =>
  JSON.stringify({ schema: 1, version: 'v1', publishedAt: 'now', builtAt: 'then', files });

test('a manifest as the updater writes it is read as it is', () => {
  expect(parseManifest(manifest([file]))).toEqual(JSON.parse(manifest([file])));
});

test.each([
  ['not JSON', '{', /JSON/],
  ['another schema', JSON.stringify({ schema: 2, version: 'v', files: [] }), /schema 1/],
  ['no file list', JSON.stringify({ schema: 1, version: 'v' }), /schema 1/],
])('%s is refused', (_, text, message) => {
  expect(() => parseManifest(text)).toThrow(message);
});

test.each([
  [
    'a name with a path',
    { name: '../../etc/x.ndb' },
    'its name "../../etc/x.ndb" is not a database file name',
  ],
  ['a name that is not a database', { name: 'run.sh' }, 'its name "run.sh" is not a database file name'],
  ['our own policy database', { name: 'lambda-av-policy.ndb' }, 'is not a database file name'],
  ['no key', { key: '' }, 'it has no key'],
  ['a negative size', { size: -1 }, 'its size -1 is not a byte count'],
  ['a fractional size', { size: 1.5 }, 'its size 1.5 is not a byte count'],
  ['a digest that is not SHA-256', { sha256: 'abc' }, 'its sha256 "abc" is not 64 hexadecimal digits'],
])('a file with %s is refused, naming the file and the field', (_, change, message) => {
  const text = manifest([file, { ...file, ...change }]);

  expect(() => parseManifest(text)).toThrow('(files[1]): ');
  expect(() => parseManifest(text)).toThrow(message);
});
