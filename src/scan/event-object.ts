import type { ObjectRef } from './object-ref';

/**
 * An object as an EventBridge "Object Created" event names it. AWS documents that keys in S3
 * event notifications are URL-encoded (a space as `+`), but says nothing either way for
 * EventBridge events, and public reports disagree. So the key is kept exactly as the event
 * carries it, with what the event says about the object, and the object is found by matching
 * those facts (src/scan/resolve-object.ts), never by guessing the encoding.
 */
export interface EventObject {
  readonly bucket: string;
  /** `detail.object.key`, as written in the event. */
  readonly eventKey: string;
  readonly size?: number;
  /** Without the quotes S3 puts around ETags in HTTP headers. */
  readonly etag?: string;
  readonly versionId?: string;
  /** When the event happened (the event's `time`), ISO 8601. */
  readonly time?: string;
}

/** What a scan or a tag request is about: an exact object, or one named by an event. */
export type ObjectTarget =
  | { readonly kind: 'ref'; readonly ref: ObjectRef }
  | { readonly kind: 'event'; readonly event: EventObject };

/**
 * The keys an event key may stand for: as written, and form-decoded (`+` a space, `%XX` a byte)
 * when that is valid and different.
 */
export function candidateKeys(eventKey: string): string[] {
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(eventKey.replace(/\+/g, ' '));
  } catch {
    decoded = undefined; // `100%.txt` is not valid encoding: it can only be the key itself
  }
  return decoded === undefined || decoded === eventKey ? [eventKey] : [eventKey, decoded];
}
