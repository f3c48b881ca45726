import { type KeyFilter, parseKeyFilter, passesFilter } from '../../../src/scan/key-filter';

// The bucket's upload filter applied per object by a bulk scan (the sweep): the same rule as the
// EventBridge pattern of infra/scan-filter.ts.

test.each<[string, KeyFilter, string, number | undefined, boolean]>([
  ['no filter: every object', {}, 'any/key.bin', 10, true],
  ['a prefix of the list', { prefixes: ['in/', 'up/'] }, 'up/a.pdf', 10, true],
  ['no prefix of the list', { prefixes: ['in/', 'up/'] }, 'out/a.pdf', 10, false],
  ['prefix and suffix both needed', { prefixes: ['in/'], suffixes: ['.pdf'] }, 'in/a.txt', 10, false],
  ['prefix and suffix both met', { prefixes: ['in/'], suffixes: ['.pdf', '.doc'] }, 'in/a.doc', 10, true],
  [
    'excluded by prefix and suffix',
    { exclude: { prefix: 'tmp/', suffix: '.part' } },
    'tmp/x.part',
    10,
    false,
  ],
  ['exclusion needs both parts', { exclude: { prefix: 'tmp/', suffix: '.part' } }, 'tmp/x.pdf', 10, true],
  ['excluded by prefix alone', { exclude: { prefix: 'logs/' } }, 'logs/a', 10, false],
  ['below minSize', { minSize: 100 }, 'a', 99, false],
  ['at maxSize', { maxSize: 100 }, 'a', 100, true],
  ['over maxSize', { maxSize: 100 }, 'a', 101, false],
  ['unknown size passes the bounds (scanned rather than missed)', { minSize: 100 }, 'a', undefined, true],
])('%s', (_, filter, key, size, expected) => {
  expect(passesFilter(filter, key, size)).toBe(expected);
});

test('parsing keeps what is given and drops nothing silently', () => {
  expect(parseKeyFilter({ prefixes: ['in/'], exclude: { suffix: '.tmp' }, maxSize: 5 })).toEqual({
    prefixes: ['in/'],
    exclude: { suffix: '.tmp' },
    maxSize: 5,
  });
  expect(parseKeyFilter(undefined)).toEqual({});
});

test.each([
  [{ prefixes: 'in/' }, 'filter.prefixes must be a list of non-empty strings, got "in/"'],
  [{ suffixes: [] }, 'filter.suffixes must be a list of non-empty strings'],
  [{ exclude: {} }, 'filter.exclude must be {prefix?, suffix?} with one of them'],
  [{ minSize: -1 }, 'filter.minSize must be a whole number of bytes'],
  [{ minSize: 10, maxSize: 5 }, 'filter.minSize (10) must not exceed maxSize (5)'],
  [{ prefix: 'in/' }, 'filter takes prefixes, suffixes, exclude, minSize and maxSize, got ["prefix"]'],
])('refused with InvalidEventError: %j', (value, message) => {
  expect(() => parseKeyFilter(value)).toThrow(
    expect.objectContaining({ name: 'InvalidEventError', message: expect.stringContaining(message) }),
  );
});
