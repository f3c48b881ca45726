import { InvalidEventError } from '../errors';

/**
 * One object of a bulk scan, as the Distributed Map's ItemReader hands it over. From an S3
 * listing (`s3:listObjectsV2`) an item carries `Key`, `Size`, `LastModified`, `Etag` and
 * `StorageClass`; from an S3 Inventory manifest, the inventory's columns (`Bucket`, `Key`,
 * `Size`, `LastModifiedDate`, `ETag`, `StorageClass`, `VersionId`, ...), as text since
 * inventories are CSV. AWS documents neither item's exact field spellings and types in full, so
 * both spellings and both types are read.
 */
export interface BulkItem {
  readonly key: string;
  readonly bucket?: string;
  readonly versionId?: string;
  readonly size?: number;
  /** Milliseconds since the epoch. */
  readonly lastModified?: number;
  readonly etag?: string;
  readonly storageClass?: string;
}

/** Storage classes whose objects cannot be read without a restore: a bulk scan leaves them. */
export const ARCHIVED_STORAGE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export function parseBulkItem(raw: unknown): BulkItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidEventError(`a bulk scan item must be an object, got ${JSON.stringify(raw)}`);
  }
  const item = raw as Record<string, unknown>;
  const key = item.Key;
  if (typeof key !== 'string' || key === '') {
    throw new InvalidEventError(`a bulk scan item needs a Key, got ${JSON.stringify(raw).slice(0, 200)}`);
  }
  const size = wholeNumber(item.Size);
  const lastModified = instant(item.LastModified ?? item.LastModifiedDate);
  const etag = text(item.Etag ?? item.ETag ?? item.ETAG);
  const bucket = text(item.Bucket);
  const versionId = text(item.VersionId);
  const storageClass = text(item.StorageClass);
  return {
    key,
    ...(bucket ? { bucket } : {}),
    ...(versionId && versionId !== 'null' ? { versionId } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(lastModified !== undefined ? { lastModified } : {}),
    ...(etag ? { etag: etag.replace(/^"|"$/g, '') } : {}),
    ...(storageClass ? { storageClass } : {}),
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function wholeNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

/** An ISO 8601 date, or a number of seconds (below 10^11) or milliseconds since the epoch. */
function instant(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value !== 'string' || value === '') return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}
