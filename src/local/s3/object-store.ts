import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { ChecksumAlgorithm } from './checksums';
import { S3Error, s3Errors } from './s3-error';

/** The headers S3 keeps with an object and sends back on GET and HEAD. */
export interface ObjectHeaders {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentDisposition?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  readonly expires?: string;
}

export type TagSet = ReadonlyArray<readonly [string, string]>;

/** An object as stored: its key exactly as given, where its bytes are, and what S3 reports of it. */
export interface StoredObject {
  readonly key: string;
  /** The file of its bytes under blobs/ (a random name). */
  readonly blob: string;
  readonly size: number;
  /** Without quotes: the MD5 in hex, or `md5-of-md5s-N` for a multipart upload. */
  readonly etag: string;
  /** Milliseconds since the epoch. */
  readonly lastModified: number;
  readonly headers: ObjectHeaders;
  /** `x-amz-meta-*`, by lower-case name without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: TagSet;
  /** The flexible checksum given at upload, when one was (a full-object checksum). */
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
  /** How many parts a multipart upload had. */
  readonly parts?: number;
}

/** What a write supplies; the store adds the key, the blob and the time. */
export type NewObject = Omit<StoredObject, 'key' | 'blob' | 'lastModified'>;

interface Bucket {
  readonly name: string;
  readonly created: number;
  readonly objects: Map<string, StoredObject>;
  /** The keys in S3's order (UTF-8 bytes), rebuilt after a change when a listing asks. */
  sorted: string[] | undefined;
}

/** S3's bucket naming rules (general purpose buckets): also what makes a name safe as one path segment. */
const BUCKET_NAME =
  /^(?!xn--)(?!.*\.\.)(?!.*-s3alias$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Buckets and objects on disk, made so that no request value ever becomes part of a file path:
 * an object's bytes are in `blobs/<random id>`, its record (key, ETag, headers, metadata, tags)
 * in `buckets/<bucket>/objects/<SHA-256 of the key>.json`, and bucket names follow S3's rules, so
 * any key S3 accepts (1,024 bytes, `..`, `//`, control characters) is stored as it is.
 *
 * A write streams into `tmp/` first; it becomes the object only when its record is renamed into
 * place (the commit), so a reader sees the old object whole or the new one whole, and an upload
 * cut off or killed leaves the old object, its ETag and its tags untouched. At start, `tmp/` is
 * emptied and bytes no record names are removed.
 */
export class ObjectStore {
  private readonly buckets = new Map<string, Bucket>();

  private constructor(readonly root: string) {}

  /** Opens (or makes) a store in `root`, discarding what a crash or `kill -9` left half-written. */
  static open(root: string): ObjectStore {
    const store = new ObjectStore(root);
    rmSync(store.tmpDir, { recursive: true, force: true });
    for (const dir of [store.tmpDir, store.blobDir, store.bucketDir, store.uploadDir])
      mkdirSync(dir, { recursive: true });
    store.load();
    return store;
  }

  get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  get uploadDir(): string {
    return path.join(this.root, 'uploads');
  }

  private get blobDir(): string {
    return path.join(this.root, 'blobs');
  }

  private get bucketDir(): string {
    return path.join(this.root, 'buckets');
  }

  /** A new file name in tmp/, for bytes being received. */
  tempFile(): string {
    return path.join(this.tmpDir, randomBytes(16).toString('hex'));
  }

  blobPath(object: StoredObject): string {
    return path.join(this.blobDir, object.blob);
  }

  listBuckets(): Array<{ name: string; created: number }> {
    return [...this.buckets.values()]
      .map(({ name, created }) => ({ name, created }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  /** Creates a bucket; false when it existed already. */
  createBucket(name: string): boolean {
    if (!BUCKET_NAME.test(name)) {
      throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
    }
    if (this.buckets.has(name)) return false;
    const created = Date.now();
    const dir = path.join(this.bucketDir, name);
    mkdirSync(path.join(dir, 'objects'), { recursive: true });
    this.writeRecord(path.join(dir, 'bucket.json'), { created });
    this.buckets.set(name, { name, created, objects: new Map(), sorted: undefined });
    return true;
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0) {
      throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', {
        BucketName: name,
      });
    }
    rmSync(path.join(this.bucketDir, name), { recursive: true, force: true });
    this.buckets.delete(name);
  }

  /** The object, or undefined; NoSuchBucket when the bucket does not exist. */
  find(bucketName: string, key: string): StoredObject | undefined {
    return this.bucket(bucketName).objects.get(key);
  }

  get(bucketName: string, key: string): StoredObject {
    const object = this.find(bucketName, key);
    if (!object) throw s3Errors.noSuchKey(key);
    return object;
  }

  /** Keys in S3's order, from just after `startAfter`, that start with `prefix`. */
  *keys(bucketName: string, prefix: string, startAfter: string): Generator<StoredObject> {
    const bucket = this.bucket(bucketName);
    if (!bucket.sorted) {
      bucket.sorted = [...bucket.objects.keys()].sort((a, b) =>
        Buffer.compare(Buffer.from(a), Buffer.from(b)),
      );
    }
    const keys = bucket.sorted;
    const after = Buffer.from(startAfter);
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Buffer.compare(Buffer.from(keys[middle] as string), after) <= 0) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < keys.length; i++) {
      const key = keys[i] as string;
      if (!key.startsWith(prefix)) {
        // The keys with the prefix are together in this order: past them, none follows.
        if (Buffer.compare(Buffer.from(key), Buffer.from(prefix)) > 0) return;
        continue;
      }
      const object = bucket.objects.get(key);
      if (object) yield object;
    }
  }

  /**
   * Makes `source` (a file in tmp/ holding the bytes, or an existing object's blob, which is
   * linked, not copied) the object at `key`, replacing any object there whole: its bytes, ETag,
   * headers, metadata and tags. `check` sees the object being replaced first (conditional writes)
   * and may refuse by throwing. Synchronous, so no other request sees a state in between.
   */
  commit(
    bucketName: string,
    key: string,
    source: { readonly file: string } | { readonly blobOf: StoredObject },
    fields: NewObject,
    check: (current: StoredObject | undefined) => void = () => undefined,
  ): StoredObject {
    const bucket = this.bucket(bucketName);
    const current = bucket.objects.get(key);
    check(current);
    const blob = randomBytes(16).toString('hex');
    const target = path.join(this.blobDir, blob);
    if ('file' in source) renameSync(source.file, target);
    else linkSync(this.blobPath(source.blobOf), target);
    const object: StoredObject = { ...fields, key, blob, lastModified: now(current) };
    this.writeRecord(this.recordPath(bucketName, key), object);
    if (!current) bucket.sorted = undefined;
    bucket.objects.set(key, object);
    if (current) unlinkQuietly(this.blobPath(current));
    return object;
  }

  /** Replaces an object's tags (PutObjectTagging, DeleteObjectTagging); nothing else changes. */
  setTags(bucketName: string, key: string, tags: TagSet): StoredObject {
    const object = this.get(bucketName, key);
    const updated = { ...object, tags };
    this.writeRecord(this.recordPath(bucketName, key), updated);
    this.bucket(bucketName).objects.set(key, updated);
    return updated;
  }

  /** Sets an object's LastModified: what an old upload looks like (tests of sweeps and ages). */
  setLastModified(bucketName: string, key: string, lastModified: number): void {
    const updated = { ...this.get(bucketName, key), lastModified };
    this.writeRecord(this.recordPath(bucketName, key), updated);
    this.bucket(bucketName).objects.set(key, updated);
  }

  /** Deletes an object; true when there was one. */
  delete(bucketName: string, key: string): boolean {
    const bucket = this.bucket(bucketName);
    const object = bucket.objects.get(key);
    if (!object) return false;
    unlinkSync(this.recordPath(bucketName, key));
    bucket.objects.delete(key);
    bucket.sorted = undefined;
    unlinkQuietly(this.blobPath(object));
    return true;
  }

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw s3Errors.noSuchBucket(name);
    return bucket;
  }

  private recordPath(bucketName: string, key: string): string {
    const name = createHash('sha256').update(key, 'utf8').digest('hex');
    return path.join(this.bucketDir, bucketName, 'objects', `${name}.json`);
  }

  /** Writes a record whole or not at all: into tmp/, then renamed into place. */
  private writeRecord(file: string, record: unknown): void {
    const temp = this.tempFile();
    writeFileSync(temp, JSON.stringify(record));
    renameSync(temp, file);
  }

  private load(): void {
    const referenced = new Set<string>();
    for (const name of readdirSync(this.bucketDir)) {
      if (!BUCKET_NAME.test(name)) continue;
      const dir = path.join(this.bucketDir, name);
      const info = readJson(path.join(dir, 'bucket.json')) as { created?: number } | undefined;
      const bucket: Bucket = { name, created: info?.created ?? 0, objects: new Map(), sorted: undefined };
      const objectDir = path.join(dir, 'objects');
      for (const file of existsSync(objectDir) ? readdirSync(objectDir) : []) {
        const object = readJson(path.join(objectDir, file)) as StoredObject | undefined;
        if (!object || typeof object.key !== 'string' || typeof object.blob !== 'string') continue;
        bucket.objects.set(object.key, object);
        referenced.add(object.blob);
      }
      this.buckets.set(name, bucket);
    }
    for (const blob of readdirSync(this.blobDir)) {
      if (!referenced.has(blob)) unlinkQuietly(path.join(this.blobDir, blob));
    }
  }
}

export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name);
}

/** A LastModified after the replaced object's, so an overwrite within the same millisecond still moves it on. */
function now(current: StoredObject | undefined): number {
  const time = Date.now();
  return current && current.lastModified >= time ? current.lastModified + 1 : time;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already: nothing to free.
  }
}
