import { decodeEventKey, parseScanEvent } from '../../../src/handlers/scan-event';
import { candidateKeys } from '../../../src/scan/event-object';
import eventBridge from '../../fixtures/eventbridge-object-created.json';
import s3Notification from '../../fixtures/s3-notification.json';

test('a direct request keeps bucket, key and versionId as given', () => {
  expect(parseScanEvent({ bucket: 'b', key: 'a+b c%20.txt', versionId: 'v1' })).toEqual({
    kind: 'direct',
    object: { bucket: 'b', key: 'a+b c%20.txt', versionId: 'v1' },
  });
});

test('S3 notification keys are URL-decoded, + meaning space', () => {
  const event = parseScanEvent(s3Notification);

  expect(event).toEqual({
    kind: 's3-notification',
    objects: [
      {
        bucket: 'upload-bucket',
        key: 'incoming/red flower.jpg',
        versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
      },
      { bucket: 'upload-bucket', key: 'incoming/c++ & résumé.pdf' },
    ],
  });
});

test('an EventBridge Object Created event keeps its key as written, with what the event says of the object', () => {
  expect(parseScanEvent(eventBridge)).toEqual({
    kind: 'eventbridge',
    event: {
      bucket: 'upload-bucket',
      eventKey: 'incoming/my+report.pdf',
      size: 5,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      time: '2026-11-25T10:00:00Z',
      account: '123456789012',
    },
  });
});

test("an EventBridge event's account is kept, and one that is not an account id is refused", () => {
  const parsed = parseScanEvent({ ...eventBridge, account: '222222222222' });
  expect(parsed.kind === 'eventbridge' && parsed.event.account).toBe('222222222222');
  expect(() => parseScanEvent({ ...eventBridge, account: '2222' })).toThrow(
    /account must be a 12-digit AWS account id, got "2222"/,
  );
});

test('a tag request names its object directly or by the EventBridge event the execution started with', () => {
  expect(
    parseScanEvent({ tag: { verdict: 'SKIPPED', object: { bucket: 'b', key: 'k', head: {} }, size: 9 } }),
  ).toEqual({
    kind: 'tag',
    request: { verdict: 'SKIPPED', target: { kind: 'ref', ref: { bucket: 'b', key: 'k' } }, size: 9 },
  });
  const request = parseScanEvent({ tag: { verdict: 'PROCESSING_ERROR', object: eventBridge } });
  expect(request).toMatchObject({
    kind: 'tag',
    request: {
      target: { kind: 'event', event: { bucket: 'upload-bucket', eventKey: 'incoming/my+report.pdf' } },
    },
  });
});

test.each([
  ['a+b.pdf', ['a+b.pdf', 'a b.pdf']],
  ['a%2Bb.pdf', ['a%2Bb.pdf', 'a+b.pdf']],
  ['100%.txt', ['100%.txt']],
  ['plain.txt', ['plain.txt']],
  ['r%C3%A9sum%C3%A9', ['r%C3%A9sum%C3%A9', 'résumé']],
])('the key %j in an event may stand for %j', (eventKey, keys) => {
  expect(candidateKeys(eventKey)).toEqual(keys);
});

test('the warmer payload is recognised, and a fanned-out warmer does not fan out again', () => {
  expect(parseScanEvent({ warmer: true })).toEqual({ kind: 'warmer', fanOut: true });
  expect(parseScanEvent({ warmer: true, fanOut: false })).toEqual({ kind: 'warmer', fanOut: false });
});

test('a literal plus arrives as %2B and is kept', () => {
  expect(decodeEventKey('a%2Bb+c')).toBe('a+b c');
});

test.each([
  [null, /expected a JSON object as the event, got null/],
  ['bucket/key', /expected a JSON object as the event, got "bucket\/key"/],
  [{ key: 'k' }, /the event: bucket is missing/],
  [{ bucket: 'b' }, /the event: key is missing/],
  [{ bucket: '', key: '' }, /bucket is empty; key is empty/],
  [{ bucket: 'b', key: 42 }, /key must be a string, got number 42/],
  [{ bucket: 'b', key: 'k', versionId: 7 }, /versionId must be a non-empty string, got number 7/],
  [{ Records: [] }, /S3 event notification has no Records/],
  [{ Records: [{ eventSource: 'aws:sqs' }] }, /Records\[0\] is not an S3 event record/],
  [{ Records: [{ s3: { bucket: { name: 'b' }, object: {} } }] }, /Records\[0\]: key is missing/],
  [{ Records: [{ s3: { bucket: { name: 'b' }, object: { key: '%E0%A4%A' } } }] }, /not valid URL encoding/],
  [{ source: 'aws.s3', detail: { object: { key: 'k' } } }, /EventBridge event detail: bucket is missing/],
  [
    { source: 'aws.s3', detail: { bucket: { name: 'b' }, object: { key: 'k', size: '5' } } },
    /object.size must be a byte count, got "5"/,
  ],
  [{ hello: 'world' }, /unrecognised event: expected \{bucket, key\[, versionId\]\}.*got keys \["hello"\]/],
])('bad event %j is rejected with InvalidEventError', (event, message) => {
  expect(() => parseScanEvent(event)).toThrow(
    expect.objectContaining({ name: 'InvalidEventError', message: expect.stringMatching(message) }),
  );
});
