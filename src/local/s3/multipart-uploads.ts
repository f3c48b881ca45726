import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChecksumAlgorithm } from './checksums';
import type { ObjectHeaders, ObjectStore, TagSet } from './object-store';
import { s3Errors } from './s3-error';

/** One uploaded part: its bytes' file in the upload's directory and what S3 reports of it. */
export interface Part {
  readonly number: number;
  /** MD5 in hex, without quotes. */
  readonly etag: string;
  readonly size: number;
  readonly lastModified: number;
  readonly file: string;
  readonly checksum?: string;
}

/** A multipart upload in progress: what CreateMultipartUpload was given, and its parts so far. */
export interface Upload {
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: number;
  readonly headers: ObjectHeaders;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: TagSet;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly parts: Map<number, Part>;
}

/** Upload ids are ours: 32 hex digits. Anything else names no upload, and never reaches a path. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** S3's part numbers: 1 to 10,000, written in decimal. */
const PART_NUMBER = /^[1-9]\d{0,4}$/;

/**
 * Multipart uploads, kept across restarts as S3 keeps them until completed or aborted:
 * `uploads/<id>/upload.json` and, per part, `part-<n>.json` naming a data file of random name.
 * A part becomes visible only when its record is renamed into place; a part cut off stays in tmp/
 * and is discarded.
 */
export class MultipartUploads {
  private readonly uploads = new Map<string, Upload>();

  constructor(private readonly store: ObjectStore) {
    this.load();
  }

  create(fields: Omit<Upload, 'id' | 'initiated' | 'parts'>): Upload {
    const id = randomBytes(16).toString('hex');
    const upload: Upload = { ...fields, id, initiated: Date.now(), parts: new Map() };
    mkdirSync(this.dirOf(id), { recursive: true });
    const { parts: _, ...record } = upload;
    this.writeRecord(path.join(this.dirOf(id), 'upload.json'), record);
    this.uploads.set(id, upload);
    return upload;
  }

  /** The upload with this id, for this bucket and key; NoSuchUpload otherwise. */
  get(uploadId: string, bucket: string, key: string): Upload {
    const upload = UPLOAD_ID.test(uploadId) ? this.uploads.get(uploadId) : undefined;
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw s3Errors.noSuchUpload(uploadId);
    return upload;
  }

  /** Uploads of a bucket, by key then initiation time. */
  list(bucket: string): Upload[] {
    return [...this.uploads.values()]
      .filter((upload) => upload.bucket === bucket)
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || a.initiated - b.initiated);
  }

  /** Makes the received bytes (a file in tmp/) part `number`, replacing an earlier part of that number. */
  putPart(
    upload: Upload,
    number: number,
    received: string,
    fields: Omit<Part, 'number' | 'file' | 'lastModified'>,
  ): Part {
    const file = `data-${randomBytes(8).toString('hex')}`;
    renameSync(received, path.join(this.dirOf(upload.id), file));
    const part: Part = { ...fields, number, file, lastModified: Date.now() };
    this.writeRecord(path.join(this.dirOf(upload.id), `part-${number}.json`), part);
    const replaced = upload.parts.get(number);
    upload.parts.set(number, part);
    if (replaced) rmSync(this.partPath(upload, replaced), { force: true });
    return part;
  }

  partPath(upload: Upload, part: Part): string {
    return path.join(this.dirOf(upload.id), part.file);
  }

  /** Removes an upload and its parts (AbortMultipartUpload, or after CompleteMultipartUpload). */
  remove(upload: Upload): void {
    this.uploads.delete(upload.id);
    rmSync(this.dirOf(upload.id), { recursive: true, force: true });
  }

  private dirOf(uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw s3Errors.noSuchUpload(uploadId);
    return path.join(this.store.uploadDir, uploadId);
  }

  private writeRecord(file: string, record: unknown): void {
    const temp = this.store.tempFile();
    writeFileSync(temp, JSON.stringify(record));
    renameSync(temp, file);
  }

  private load(): void {
    for (const id of readdirSync(this.store.uploadDir)) {
      const dir = path.join(this.store.uploadDir, id);
      const record = UPLOAD_ID.test(id) ? readJson(path.join(dir, 'upload.json')) : undefined;
      if (!record || !this.store.hasBucket(String(record.bucket))) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const upload = { ...(record as unknown as Omit<Upload, 'parts'>), parts: new Map<number, Part>() };
      const kept = new Set(['upload.json']);
      for (const name of readdirSync(dir)) {
        if (!/^part-\d+\.json$/.test(name)) continue;
        const part = readJson(path.join(dir, name)) as Part | undefined;
        if (!part) continue;
        upload.parts.set(part.number, part);
        kept.add(name).add(part.file);
      }
      for (const name of readdirSync(dir)) if (!kept.has(name)) unlinkSync(path.join(dir, name));
      this.uploads.set(id, upload);
    }
  }
}

/** A part number as S3 takes it (1 to 10,000); InvalidArgument otherwise. */
export function parsePartNumber(text: string | undefined): number {
  if (text === undefined || !PART_NUMBER.test(text) || Number(text) > 10_000) {
    throw s3Errors.invalidArgument(
      'Part number must be an integer between 1 and 10000, inclusive',
      'partNumber',
      String(text),
    );
  }
  return Number(text);
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
