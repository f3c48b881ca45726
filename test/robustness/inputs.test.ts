import { existsSync, rmSync } from 'node:fs';
import type { ScanResult } from '../../src/scan/contract';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { EICAR } from '../support/signatures';
import { checkGuarantees, snapshot } from './guarantees';
import { record } from './ledger';

const MAX = 256 * 1024;
const PWNED = '/tmp/lambda-av-pwned';

let h: Harness;
beforeAll(async () => {
  rmSync(PWNED, { force: true });
  h = await startHarness({ env: { MAX_FILE_SIZE: String(MAX) } });
});
afterAll(async () => {
  await h.stop();
});

const owners = { owner: 'team-a', 'cost-center': '42' };

describe('malformed events are rejected with an error naming what is wrong', () => {
  test.each([
    [{}, /unrecognised event/],
    [{ bucket: UPLOADS_BUCKET }, /key is missing/],
    [{ key: 'k' }, /bucket is missing/],
    [{ bucket: '', key: 'k' }, /bucket is empty/],
    [{ bucket: UPLOADS_BUCKET, key: '' }, /key is empty/],
    [{ bucket: 7, key: 'k' }, /bucket must be a string, got number 7/],
    [{ bucket: UPLOADS_BUCKET, key: ['a'] }, /key must be a string, got an array/],
    [{ bucket: UPLOADS_BUCKET, key: null }, /key must be a string, got null/],
    [{ bucket: UPLOADS_BUCKET, key: { nested: true } }, /key must be a string/],
    [{ bucket: UPLOADS_BUCKET, key: 'k', versionId: '' }, /versionId must be a non-empty string/],
    [{ Records: [{ eventSource: 'aws:sqs', body: '{}' }] }, /Records\[0\] is not an S3 event record/],
    [{ Records: [{ Sns: { Message: '{}' } }] }, /Records\[0\] is not an S3 event record/],
    [{ Records: 'nope' }, /S3 event notification has no Records/],
    [{ source: 'aws.s3', 'detail-type': 'Object Created', detail: 'x' }, /bucket is missing; key is missing/],
    [{ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, /unrecognised event/],
    ['s3://bucket/key', /expected a JSON object/],
    [42, /expected a JSON object/],
    [[{ bucket: 'b', key: 'k' }], /expected a JSON object as the event, got an array/],
    [null, /expected a JSON object/],
    [
      { tag: { verdict: 'CLEAN', object: { bucket: 'b', key: 'k' } } },
      /tag.verdict must be SKIPPED or PROCESSING_ERROR/,
    ],
    [
      { source: 'aws.s3', detail: { bucket: { name: 'b' }, object: { key: 'k', etag: 5 } } },
      /object.etag must be a string/,
    ],
  ])('%j', async (event, message) => {
    record('input', `malformed event ${JSON.stringify(event).slice(0, 60)}`);

    await expect(h.handler(event)).rejects.toMatchObject({
      name: 'InvalidEventError',
      message: expect.stringMatching(message),
    });
  });
});

// S3 keys are at most 1,024 bytes of UTF-8. Each key below gets `-CLEAN` or `-INFECTED` added,
// so the long one is 1,015 bytes: 1,024 with `-INFECTED`. One of its segments is 300 bytes, more
// than a file name may hold: keys are never file names.
const longKey = `${'s'.repeat(300)}/${'k'.repeat(1015 - 301 - 4)}.txt`;

describe.each([
  ['a key of 1,024 bytes (with its suffix)', longKey],
  ['a key with ../', 'uploads/../../etc/passwd'],
  ['a key starting with ../', '../outside.txt'],
  ['shell command substitution', `$(touch ${PWNED})`],
  ['backticks', `\`touch ${PWNED}\`.txt`],
  ['semicolon and pipe', `a; touch ${PWNED} | cat.txt`],
  ['quotes', `it's "quoted".txt`],
  ['a newline', 'line1\nline2.txt'],
  ['a tab and a carriage return', 'tab\there\rreturn.txt'],
  ['unicode', 'unicode/Größe-ünï-日本語-עברית-🦠.pdf'],
  ['percent and plus', 'money/100%25 + 50% off+more.txt'],
  ['spaces only around', '  spaced  .txt'],
  ['glob characters', 'glob/*?[a-z]{1,2}.txt'],
  ['a dash first', '-rf.txt'],
])('%s', (_label, key) => {
  test.each([
    ['clean', 'harmless content', 'CLEAN'],
    ['infected', EICAR, 'INFECTED'],
  ])('direct and through an S3 event: %s content', async (_kind, content, expected) => {
    const objectKey = `${key}-${expected}`;
    await h.s3.put(UPLOADS_BUCKET, objectKey, content, owners);
    const before = await snapshot(h, UPLOADS_BUCKET, objectKey);
    const encoded = encodeURIComponent(objectKey).replace(/%20/g, '+');
    record('input', `key: ${_label} (${_kind})`);

    const direct = (await h.handler({ bucket: UPLOADS_BUCKET, key: objectKey })) as ScanResult;
    const viaEvent = (await h.handler({
      Records: [{ s3: { bucket: { name: UPLOADS_BUCKET }, object: { key: encoded } } }],
    })) as { results: ScanResult[] };

    expect(direct).toMatchObject({ key: objectKey, status: expected });
    expect(viaEvent.results[0]).toMatchObject({ key: objectKey, status: expected });
    expect(await h.s3.tagsOf(UPLOADS_BUCKET, objectKey)).toMatchObject({ ...owners, 'av-status': expected });
    expect(existsSync(PWNED)).toBe(false);
    record('security', 'no key reaches a shell');
    await checkGuarantees(h, before);
  });
});

test('an object that already has 10 tags fails clearly and keeps every tag', async () => {
  const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, `v${i}`]));
  await h.s3.put(UPLOADS_BUCKET, 'ten-tags.bin', EICAR, ten);
  const before = await snapshot(h, UPLOADS_BUCKET, 'ten-tags.bin');
  record('input', 'object with 10 tags');

  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'ten-tags.bin' })) as ScanResult;

  expect(result).toMatchObject({
    status: 'PROCESSING_ERROR',
    error: 'TagLimitExceededError',
    signature: expect.any(String),
  });
  expect(result.reason).toContain("over S3's limit of 10");
  expect(await h.s3.tagsOf(UPLOADS_BUCKET, 'ten-tags.bin')).toEqual(ten);
  await checkGuarantees(h, before);
});

test.each([
  ['zero bytes', Buffer.alloc(0), 'CLEAN'],
  [
    'exactly the limit, EICAR at the end',
    Buffer.concat([Buffer.alloc(MAX - EICAR.length, 0x41), Buffer.from(EICAR)]),
    'INFECTED',
  ],
  ['one byte under the limit', Buffer.alloc(MAX - 1, 0x42), 'CLEAN'],
  [
    'one byte over the limit',
    Buffer.concat([Buffer.from(EICAR), Buffer.alloc(MAX + 1 - EICAR.length)]),
    'SKIPPED',
  ],
  ['far over the limit', Buffer.concat([Buffer.from(EICAR), Buffer.alloc(4 * MAX)]), 'SKIPPED'],
])('size: %s', async (label, body, expected) => {
  const key = `size/${label}`;
  await h.s3.put(UPLOADS_BUCKET, key, body, owners);
  const before = await snapshot(h, UPLOADS_BUCKET, key);
  record('input', `size: ${label}`);

  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key })) as ScanResult;

  expect(result).toMatchObject({ status: expected, size: body.length });
  await checkGuarantees(h, before);
});
