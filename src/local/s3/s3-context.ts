import type { MultipartUploads } from './multipart-uploads';
import type { ObjectStore, StoredObject } from './object-store';

/** How an object came to be, as S3 names the event (`ObjectCreated:<how>`). */
export type CreatedBy = 'Put' | 'Post' | 'Copy' | 'CompleteMultipartUpload';

/** What every S3 operation works with: the objects, the uploads in progress, and who hears of new objects. */
export interface S3Context {
  readonly store: ObjectStore;
  readonly uploads: MultipartUploads;
  /** Told after each object is committed, as S3 tells EventBridge. */
  readonly created: (bucket: string, object: StoredObject, how: CreatedBy) => void;
}
