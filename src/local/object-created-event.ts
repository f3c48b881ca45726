import { randomUUID } from 'node:crypto';

export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

/** What the local S3 endpoint reports about an object written (as S3's event record does, in part). */
export interface CreatedObject {
  readonly bucket: string;
  /** The key as stored, not encoded. */
  readonly key: string;
  readonly size?: number;
  readonly etag?: string;
  /** S3's event name: `ObjectCreated:Put`, `:Post`, `:Copy` or `:CompleteMultipartUpload`. */
  readonly eventName: string;
  readonly sequencer?: string;
}

/**
 * The EventBridge event S3 sends for a new object ("Object Created", source `aws.s3`), shaped as
 * AWS documents it, which is the scan state machine's input when the EventBridge rule starts it.
 * The key is URL-encoded as in S3's notifications (a space as `+`, slashes kept), which the
 * scanner decodes.
 */
export function objectCreatedEvent(object: CreatedObject, now = new Date()) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: LOCAL_ACCOUNT,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:s3:::${object.bucket}`],
    detail: {
      version: '0',
      bucket: { name: object.bucket },
      object: {
        key: encodeEventKey(object.key),
        ...(object.size !== undefined ? { size: object.size } : {}),
        ...(object.etag ? { etag: object.etag.replace(/"/g, '') } : {}),
        ...(object.sequencer ? { sequencer: object.sequencer } : {}),
      },
      'request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      requester: LOCAL_ACCOUNT,
      'source-ip-address': '127.0.0.1',
      reason: reasonOf(object.eventName),
    },
  };
}

/** S3's encoding of keys in notifications, the inverse of the scanner's `decodeEventKey`. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

function reasonOf(eventName: string): string {
  if (eventName.endsWith(':Copy')) return 'CopyObject';
  if (eventName.endsWith(':CompleteMultipartUpload')) return 'CompleteMultipartUpload';
  if (eventName.endsWith(':Post')) return 'PostObject';
  return 'PutObject';
}
