import { Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import {
  MAX_PATTERN_LENGTH,
  objectCreatedPattern,
  type ScanFilter,
  ScanFilterError,
} from '../../infra/scan-filter';
import fixture from '../fixtures/eventbridge-object-created.json';
import { matchesPattern, renderPattern, wildcardRegExp } from '../support/event-pattern';
import { formEncodeKey } from '../support/events';
import { testApp } from './support';

const BUCKET = 'upload-bucket';

/** An "Object Created" event of BUCKET (the fixture's shape) carrying `eventKey` as written. */
function objectCreated(eventKey: string, size = 5, bucket = BUCKET): Record<string, unknown> {
  return {
    ...fixture,
    detail: {
      ...fixture.detail,
      bucket: { name: bucket },
      object: { ...fixture.detail.object, key: eventKey, size },
    },
  };
}

/** A key percent-encoded (RFC 3986 style), `/` kept. */
const percentEncodeKey = (key: string): string =>
  encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');

/** Whether an upload of `key` (of `size` bytes) starts a scan, with the key raw, form- and percent-encoded in the event. */
function scans(filter: ScanFilter, key: string, size = 5): { raw: boolean; form: boolean; percent: boolean } {
  const pattern = renderPattern(objectCreatedPattern(BUCKET, filter));
  return {
    raw: matchesPattern(pattern, objectCreated(key, size)),
    form: matchesPattern(pattern, objectCreated(formEncodeKey(key), size)),
    percent: matchesPattern(pattern, objectCreated(percentEncodeKey(key), size)),
  };
}
const ALWAYS = { raw: true, form: true, percent: true };
const NEVER = { raw: false, form: false, percent: false };

const base = {
  source: ['aws.s3'],
  detailType: ['Object Created'],
};

describe('the pattern of a bucket scanned on upload', () => {
  test('without a filter, every object created in the bucket', () => {
    expect(objectCreatedPattern(BUCKET)).toEqual({ ...base, detail: { bucket: { name: [BUCKET] } } });
  });

  test('prefixes only: keys starting with any of them', () => {
    expect(objectCreatedPattern(BUCKET, { prefixes: ['uploads/', 'incoming/'] })).toEqual({
      ...base,
      detail: {
        bucket: { name: [BUCKET] },
        object: { key: [{ prefix: 'uploads/' }, { prefix: 'incoming/' }] },
      },
    });
  });

  test('suffixes only: keys ending with any of them', () => {
    expect(objectCreatedPattern(BUCKET, { suffixes: ['.pdf', '.docx'] }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: { key: [{ suffix: '.pdf' }, { suffix: '.docx' }] },
    });
  });

  test('prefixes and suffixes: one wildcard per pair, since two conditions on one field cannot be ANDed', () => {
    expect(
      objectCreatedPattern(BUCKET, { prefixes: ['docs/', 'in/'], suffixes: ['.pdf', '.docx'] }).detail,
    ).toEqual({
      bucket: { name: [BUCKET] },
      object: {
        key: [
          { wildcard: 'docs/*.pdf' },
          { wildcard: 'docs/*.docx' },
          { wildcard: 'in/*.pdf' },
          { wildcard: 'in/*.docx' },
        ],
      },
    });
  });

  test('a prefix and a suffix that can overlap: the overlapping keys are listed exactly, a wildcard needs both lengths', () => {
    expect(objectCreatedPattern(BUCKET, { prefixes: ['report'], suffixes: ['t.pdf'] }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: { key: [{ wildcard: 'report*t.pdf' }, 'report.pdf'] },
    });
  });

  test('a size range: numeric matching on detail.object.size, both bounds included', () => {
    expect(objectCreatedPattern(BUCKET, { minSize: 1, maxSize: 1048576 }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: { size: [{ numeric: ['>=', 1, '<=', 1048576] }] },
    });
    expect(objectCreatedPattern(BUCKET, { maxSize: 100 }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: { size: [{ numeric: ['<=', 100] }] },
    });
  });

  test('minSize 0 alone filters nothing and leaves the size out of the pattern', () => {
    expect(objectCreatedPattern(BUCKET, { minSize: 0 })).toEqual(objectCreatedPattern(BUCKET));
  });

  test('keys and sizes together', () => {
    expect(objectCreatedPattern(BUCKET, { suffixes: ['.zip'], minSize: 1 }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: { key: [{ suffix: '.zip' }], size: [{ numeric: ['>=', 1] }] },
    });
  });

  test.each([
    [{ prefix: 'tmp/' }, { 'anything-but': { prefix: 'tmp/' } }],
    [{ suffix: '.log' }, { 'anything-but': { suffix: '.log' } }],
    [{ prefix: 'tmp/', suffix: '.log' }, { 'anything-but': { wildcard: 'tmp/*.log' } }],
  ])('exclusion %j: one anything-but', (exclude, matcher) => {
    expect(objectCreatedPattern(BUCKET, { exclude }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: { key: [matcher] },
    });
  });

  test('a prefix with a space: as written, form-encoded and percent-encoded', () => {
    expect(objectCreatedPattern(BUCKET, { prefixes: ['my docs/'] }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: { key: [{ prefix: 'my docs/' }, { prefix: 'my+docs/' }, { prefix: 'my%20docs/' }] },
    });
  });

  test('characters the encodings disagree on: every distinct form is listed', () => {
    expect(objectCreatedPattern(BUCKET, { suffixes: [' (1).pdf'] }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: {
        key: [
          { suffix: ' (1).pdf' },
          { suffix: '+%281%29.pdf' },
          { suffix: '+(1).pdf' },
          { suffix: '%20%281%29.pdf' },
          { suffix: '%20(1).pdf' },
        ],
      },
    });
  });

  test('an = as in Hive partitions (S3 writes %3D into notifications)', () => {
    expect(objectCreatedPattern(BUCKET, { prefixes: ['dt=2026/'] }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: { key: [{ prefix: 'dt=2026/' }, { prefix: 'dt%3D2026/' }] },
    });
  });

  test('a * or \\ in a wildcard is escaped; where an encoding turns * into %2A, that form is listed too', () => {
    expect(objectCreatedPattern(BUCKET, { prefixes: ['a*b\\'], suffixes: ['.x'] }).detail).toEqual({
      bucket: { name: [BUCKET] },
      object: {
        key: [{ wildcard: 'a\\*b\\\\*.x' }, { wildcard: 'a\\*b%5C*.x' }, { wildcard: 'a%2Ab%5C*.x' }],
      },
    });
  });

  test('a bucket name resolved at deploy time is used as given', () => {
    const name = Token.asString({ Ref: 'Uploads' });
    expect(objectCreatedPattern(name, { suffixes: ['.pdf'] }).detail).toEqual({
      bucket: { name: [name] },
      object: { key: [{ suffix: '.pdf' }] },
    });
  });

  test('CDK writes the pattern into the rule unchanged (the form the evaluator reads)', () => {
    const stack = new Stack(testApp(), 'Rules');
    const pattern = objectCreatedPattern(BUCKET, { prefixes: ['a b/'], suffixes: ['.pdf'], maxSize: 9 });
    new events.Rule(stack, 'Rule', { eventPattern: pattern });

    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: renderPattern(pattern),
    });
  });
});

describe('what the pattern lets through, evaluated by AWS rules on "Object Created" events', () => {
  test('the unfiltered pattern matches the fixture event, and not another bucket', () => {
    const pattern = renderPattern(objectCreatedPattern(BUCKET));
    expect(matchesPattern(pattern, fixture)).toBe(true);
    expect(matchesPattern(pattern, objectCreated('a', 5, 'other-bucket'))).toBe(false);
    expect(matchesPattern(pattern, { ...fixture, 'detail-type': 'Object Deleted' })).toBe(false);
  });

  /** Filters, and for each key whether an upload of it is scanned (the same raw, form- or percent-encoded). */
  const CASES: Array<[string, ScanFilter, Array<[string, boolean]>]> = [
    [
      'prefixes uploads/ and incoming/',
      { prefixes: ['uploads/', 'incoming/'] },
      [
        ['uploads/a.pdf', true],
        ['uploads/my report (final).pdf', true],
        ['incoming/ä ü.txt', true],
        ['other/uploads/a.pdf', false],
        ['uploadsx/a.pdf', false],
      ],
    ],
    [
      'prefix "my docs/"',
      { prefixes: ['my docs/'] },
      [
        ['my docs/a.pdf', true],
        ['my docs/sub/a b.pdf', true],
        ['my-docs/a.pdf', false],
        ['mydocs/a.pdf', false],
      ],
    ],
    [
      'prefix docs/ and suffix .pdf',
      { prefixes: ['docs/'], suffixes: ['.pdf'] },
      [
        ['docs/a.pdf', true],
        ['docs/x (1).pdf', true],
        ['docs/.pdf', true],
        ['docs/a.pdf.txt', false],
        ['a/docs/b.pdf', false],
        ['docs/a.PDF', false],
      ],
    ],
    [
      'prefix report and suffix t.pdf, overlapping',
      { prefixes: ['report'], suffixes: ['t.pdf'] },
      [
        ['report.pdf', true],
        ['report-t.pdf', true],
        ['repor.pdf', false],
      ],
    ],
    [
      'suffix " (1).pdf", with characters the encoders disagree on',
      { suffixes: [' (1).pdf'] },
      [
        ['a (1).pdf', true],
        ['b (1).pdf', true],
        ['a(1).pdf', false],
        ['a (2).pdf', false],
      ],
    ],
    [
      'exclude prefix tmp/',
      { exclude: { prefix: 'tmp/' } },
      [
        ['tmp/a b.txt', false],
        ['tmp/x', false],
        ['tmpx/a', true],
        ['a/tmp/b', true],
        ['t mp/a', true],
      ],
    ],
    [
      'exclude suffix .log',
      { exclude: { suffix: '.log' } },
      [
        ['a (1).log', false],
        ['dir/x.log', false],
        ['x.log.gz', true],
        ['xlog', true],
      ],
    ],
    [
      'exclude prefix tmp/ with suffix .log (keys with both)',
      { exclude: { prefix: 'tmp/', suffix: '.log' } },
      [
        ['tmp/a.log', false],
        ['tmp/a b.log', false],
        ['tmp/a.txt', true],
        ['x/a.log', true],
      ],
    ],
  ];

  test.each(
    CASES.flatMap(([name, filter, keys]) =>
      keys.map(([key, scanned]) => [name, key, scanned, filter] as const),
    ),
  )('%s: %s is scanned: %s', (_, key, scanned, filter) => {
    expect(scans(filter, key)).toEqual(scanned ? ALWAYS : NEVER);
  });

  test.each([
    [9, false],
    [10, true],
    [20, true],
    [21, false],
  ])('sizes 10 to 20: an object of %d bytes is scanned: %s', (size, expected) => {
    const pattern = renderPattern(objectCreatedPattern(BUCKET, { minSize: 10, maxSize: 20 }));
    expect(matchesPattern(pattern, objectCreated('a', size))).toBe(expected);
  });

  test('a suffix exclusion starting with a hex digit would exclude keys that do not end with it, once encoded', () => {
    // Why exclude.suffix may not start with one: "x=.txt" does not end with "D.txt", but encoded it is "x%3D.txt".
    const pattern = renderPattern({
      ...objectCreatedPattern(BUCKET),
      detail: { object: { key: [{ 'anything-but': { suffix: 'D.txt' } }] } },
    });
    expect(matchesPattern(pattern, objectCreated('x=.txt'))).toBe(true);
    expect(matchesPattern(pattern, objectCreated(formEncodeKey('x=.txt')))).toBe(false);
  });
});

describe('filters EventBridge cannot express, or malformed, are refused at synth', () => {
  const refused = (filter: ScanFilter, bucket = BUCKET): ScanFilterError => {
    try {
      objectCreatedPattern(bucket, filter);
    } catch (error) {
      expect(error).toBeInstanceOf(ScanFilterError);
      expect((error as Error).name).toBe('ScanFilterError');
      return error as ScanFilterError;
    }
    throw new Error(`accepted ${JSON.stringify(filter)}`);
  };

  test('an exclusion together with includes, naming the bucket and why', () => {
    const error = refused({ prefixes: ['uploads/'], exclude: { prefix: 'uploads/tmp/' } });
    expect(error.message).toContain('"upload-bucket"');
    expect(error.message).toContain('exclude cannot be combined with prefixes or suffixes');
    expect(error.message).toContain('anything-but takes a single value');
    expect(refused({ suffixes: ['.pdf'], exclude: { suffix: '.tmp' } }).message).toContain(
      'cannot be combined',
    );
  });

  test.each([
    [{ prefix: 'tmp dir/' }, 'exclude.prefix'],
    [{ prefix: 'a+b' }, 'exclude.prefix'],
    [{ suffix: '.lo~g' }, 'exclude.suffix'],
    [{ prefix: 'dt=1/' }, 'exclude.prefix'],
  ])('an exclusion whose encodings differ: %j', (exclude, field) => {
    const error = refused({ exclude });
    expect(error.message).toContain(`${field} ${JSON.stringify(Object.values(exclude)[0])}`);
    expect(error.message).toContain('must read the same encoded or not');
  });

  test.each(['e.log', '1.txt', 'F'])('an exclusion suffix starting with a hex digit: %s', (suffix) => {
    expect(refused({ exclude: { suffix } }).message).toContain('must not start with a hex digit');
  });

  test('an exclusion naming nothing', () => {
    expect(refused({ exclude: {} }).message).toContain('exclude needs a prefix, a suffix or both');
  });

  test.each([
    [{ prefixes: [] }, 'prefixes is empty; omit it to scan every key'],
    [{ suffixes: [''] }, 'suffixes must be non-empty strings'],
    [{ prefixes: Array.from({ length: 11 }, (_, i) => `p${i}/`) }, 'at most 10 prefixes, got 11'],
    [
      { prefixes: ['a', 'b', 'c', 'd'], suffixes: ['.1', '.2', '.3'] },
      '4 prefixes x 3 suffixes make 12 wildcard pairs',
    ],
    [{ prefixes: ['x'.repeat(1025)] }, 'at most 1024 characters'],
    [{ prefixes: [Token.asString({ Ref: 'P' })] }, 'must be literal strings'],
  ])('bad key strings: %#', (filter, message) => {
    expect(refused(filter as ScanFilter).message).toContain(message);
  });

  test.each([
    [{ minSize: -1 }, 'minSize must be a whole number of bytes from 0 to 5000000000'],
    [{ maxSize: 1.5 }, 'maxSize must be a whole number'],
    [{ maxSize: 5_000_000_001 }, "EventBridge's numeric matching range"],
    [{ minSize: 10, maxSize: 9 }, 'minSize 10 is larger than maxSize 9'],
  ])('bad sizes: %j', (filter, message) => {
    expect(refused(filter).message).toContain(message);
  });

  test('a pattern over the size EventBridge accepts', () => {
    const long = Array.from({ length: 10 }, (_, i) => `${i}/${'x'.repeat(200)}/`);
    const error = refused({ prefixes: long });
    expect(error.message).toMatch(
      new RegExp(`would be \\d+ characters, over EventBridge's ${MAX_PATTERN_LENGTH}`),
    );
  });

  test('a bucket name resolved at deploy time is counted at its longest', () => {
    const prefixes = Array.from({ length: 10 }, (_, i) => `${i}/${'x'.repeat(174)}/`);
    expect(() => objectCreatedPattern(BUCKET, { prefixes })).not.toThrow();
    expect(refused({ prefixes }, Token.asString({ Ref: 'Uploads' })).message).toContain(
      '(a bucket of this app)',
    );
  });
});

describe('the evaluator (test aid) follows the documented wildcard rules', () => {
  test.each([
    ['a*b', 'ab', true],
    ['a*b', 'axyzb', true],
    ['a*b', 'ba', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a\\\\b', 'a\\b', true],
  ])('%s against %s: %s', (wildcard, value, expected) => {
    expect(wildcardRegExp(wildcard).test(value)).toBe(expected);
  });

  test.each(['a**b', 'a\\xb'])('refuses the invalid wildcard %s', (wildcard) => {
    expect(() => wildcardRegExp(wildcard)).toThrow();
  });

  test('refuses operators it does not implement', () => {
    expect(() =>
      matchesPattern({ detail: { state: [{ cidr: '10.0.0.0/8' }] } }, { detail: { state: 'x' } }),
    ).toThrow(/not implemented/);
  });
});
