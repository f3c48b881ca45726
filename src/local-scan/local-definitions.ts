import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MANIFEST_NAME } from '../definitions/manifest';
import { isDatabaseFile, resolvePublishedSet } from '../definitions/store';
import type { UpdaterMetrics } from '../definitions/updater-metrics';
import type { ScanMetrics } from '../scan/scan-metrics';

/** The bucket of the local stack that holds the definitions, as CLAMAV_BUCKET_NAME does in AWS. */
export const LOCAL_DEFINITIONS_BUCKET = 'lambda-av-definitions';

/** The scanner's logger and metrics in the local stack: the command prints what matters itself. */
export const quietLogger = { info() {}, warn() {}, error() {} };
export const noMetrics: ScanMetrics & UpdaterMetrics = {
  scanCompleted() {},
  daemonStarted() {},
  definitionsAge() {},
  definitionsMissing() {},
  resultEventFailed() {},
};

/** Creates a bucket of the local S3 server, or keeps it when it exists (a restart on the same data). */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
    if (!/BucketAlready/.test(error.name)) throw error;
  });
}

/** True when the bucket holds a set the scanner can load (a manifest, or database files). */
export async function hasPublishedDefinitions(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await resolvePublishedSet(s3, { bucket, prefix: '' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Publishes the database files of a directory as a plain set at the top of `bucket`, replacing
 * what was published there (a manifest left by an update would otherwise take precedence).
 * Returns the names uploaded.
 */
export async function publishDefinitionsDirectory(
  s3: S3Client,
  bucket: string,
  dir: string,
): Promise<string[]> {
  const names = (await readdir(dir)).filter(isDatabaseFile).sort();
  if (names.length === 0) throw new Error(`no ClamAV database files in ${dir}`);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
  const stale = (listed.Contents ?? [])
    .map((object) => object.Key ?? '')
    .filter((key) => key === MANIFEST_NAME || (isDatabaseFile(key) && !names.includes(key)));
  if (stale.length > 0) {
    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: stale.map((Key) => ({ Key })) } }),
    );
  }
  for (const name of names) {
    const Body = await readFile(path.join(dir, name));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body }));
  }
  return names;
}
