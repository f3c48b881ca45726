import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import template from '../fixtures/eventbridge-object-created.json';

/** A key as S3 writes it into event notifications: form-encoded, a space as `+`, `/` kept. */
export function formEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export interface EventOptions {
  /** The key exactly as the event should carry it (default: the object's key, as is). */
  readonly eventKey?: string;
  /** Take size and ETag from this key's object instead (an event about another object). */
  readonly describe?: string;
  readonly versionId?: string;
  readonly time?: string;
}

/**
 * An EventBridge "Object Created" event shaped as AWS sends it (test/fixtures), for an object
 * that exists: its size and ETag are read from S3, as S3 reports them in the event.
 */
export async function objectCreatedEvent(
  s3: S3Client,
  bucket: string,
  key: string,
  options: EventOptions = {},
): Promise<Record<string, unknown>> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: options.describe ?? key }));
  return {
    ...template,
    time: options.time ?? new Date().toISOString(),
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      ...template.detail,
      bucket: { name: bucket },
      object: {
        key: options.eventKey ?? key,
        size: head.ContentLength,
        etag: head.ETag?.replace(/"/g, ''),
        ...(options.versionId ? { 'version-id': options.versionId } : {}),
        sequencer: '00617F08299329D189',
      },
    },
  };
}
