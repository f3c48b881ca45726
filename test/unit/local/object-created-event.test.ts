import { decodeEventKey, parseScanEvent } from '../../../src/handlers/scan-event';
import { encodeEventKey, objectCreatedEvent } from '../../../src/local/object-created-event';

test('an upload becomes the EventBridge "Object Created" event AWS sends, which the scanner reads back', () => {
  const key = 'incoming/a b+c%d ü.pdf';

  const event = objectCreatedEvent(
    {
      bucket: 'uploads',
      key,
      size: 5,
      etag: '"b1946ac92492d2347c6235b4d2611184"',
      eventName: 'ObjectCreated:Put',
    },
    new Date('2026-11-25T10:00:00.123Z'),
  );

  expect(event).toMatchObject({
    version: '0',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-11-25T10:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:s3:::uploads'],
    detail: {
      version: '0',
      bucket: { name: 'uploads' },
      object: { key: 'incoming/a+b%2Bc%25d+%C3%BC.pdf', size: 5, etag: 'b1946ac92492d2347c6235b4d2611184' },
      reason: 'PutObject',
    },
  });
  expect(parseScanEvent(event)).toMatchObject({ kind: 'eventbridge' });
  expect(decodeEventKey(event.detail.object.key)).toBe(key);
});

test.each([
  ['ObjectCreated:Put', 'PutObject'],
  ['ObjectCreated:Copy', 'CopyObject'],
  ['ObjectCreated:Post', 'PostObject'],
])('%s is reported with reason %s', (eventName, reason) => {
  expect(objectCreatedEvent({ bucket: 'b', key: 'k', eventName }).detail.reason).toBe(reason);
});

test('keys are encoded as S3 encodes them in notifications: a space as +, slashes kept', () => {
  expect(encodeEventKey('a/b c/d+e.txt')).toBe('a/b+c/d%2Be.txt');
});
