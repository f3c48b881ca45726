import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  type _Object,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { InvalidEventError } from '../errors';
import { mapS3Error } from '../scan/s3-errors';
import type { BulkScanPlan } from './request';

export interface MemberListingDependencies {
  /** S3 through the member account's role: lists the member's bucket. */
  readonly member: S3Client;
  /** S3 of the hub's own role: writes the listing to the hub's report bucket. */
  readonly hub: S3Client;
  /** Milliseconds left for the listing; it is refused rather than cut short. */
  readonly remainingMs: () => number;
}

/** The bulk scan workflow's Plan state times out after this (its TimeoutSeconds, checked by a test). */
export const PLAN_TIMEOUT_MS = 120_000;

/** Keys per data file of the listing (one gzipped CSV each). */
const KEYS_PER_FILE = 100_000;
/** Time kept free at the end, to write the last file and answer. */
const MARGIN_MS = 15_000;

/**
 * A bulk scan of a member account's bucket. The Distributed Map's ItemReader has no documented
 * `Credentials` field (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html:
 * Resource, ReaderConfig, Parameters or Arguments), unlike a Task state
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html),
 * so listing another account's bucket directly would need that bucket's policy to admit the
 * hub's state machine role: per-bucket setup. Instead the plan lists the bucket through the member
 * role and writes the listing to the hub's report bucket in S3 Inventory's format (a
 * `manifest.json` and gzipped CSV files), which the workflow's inventory reader reads from the
 * hub's own bucket. The workflow itself is unchanged: the plan becomes an inventory plan.
 *
 * The listing must finish within the plan's invocation: a bucket too large for that is refused
 * with a clear error; scan it from an S3 Inventory delivered to a hub bucket (`manifest`).
 */
export async function listMemberBucket(
  deps: MemberListingDependencies,
  plan: BulkScanPlan,
): Promise<BulkScanPlan> {
  const prefix = `${plan.report.prefix}/listing`;
  const files: Array<{ key: string; size: number; MD5checksum: string }> = [];
  let rows: string[] = [];
  let listed = 0;
  const flush = async () => {
    if (rows.length === 0) return;
    const body = gzipSync(`${rows.join('\n')}\n`);
    const key = `${prefix}/data/${String(files.length).padStart(5, '0')}.csv.gz`;
    await deps.hub.send(new PutObjectCommand({ Bucket: plan.report.bucket, Key: key, Body: body }));
    files.push({ key, size: body.length, MD5checksum: createHash('md5').update(body).digest('hex') });
    rows = [];
  };
  let token: string | undefined;
  do {
    if (deps.remainingMs() < MARGIN_MS) {
      throw new InvalidEventError(
        `s3://${plan.bucket}/${plan.prefix} of account ${plan.account} holds more objects than one plan can list (${listed} listed so far): scan it from an S3 Inventory delivered to a bucket of the hub (manifest)`,
      );
    }
    let page: ListObjectsV2CommandOutput;
    try {
      page = await deps.member.send(
        new ListObjectsV2Command({
          Bucket: plan.bucket,
          Prefix: plan.prefix || undefined,
          ContinuationToken: token,
        }),
      );
    } catch (error) {
      throw mapS3Error(error, { bucket: plan.bucket, key: plan.prefix });
    }
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      rows.push(csvRow(plan.bucket, object));
      listed++;
      if (rows.length >= KEYS_PER_FILE) await flush();
    }
    token = page.NextContinuationToken;
  } while (token);
  await flush();
  const manifestKey = `${prefix}/manifest.json`;
  const manifest = {
    sourceBucket: plan.bucket,
    destinationBucket: `arn:aws:s3:::${plan.report.bucket}`,
    version: '2016-11-30',
    creationTimestamp: String(Date.now()),
    fileFormat: 'CSV',
    fileSchema: 'Bucket, Key, Size, LastModifiedDate, ETag, StorageClass',
    files,
  };
  await deps.hub.send(
    new PutObjectCommand({
      Bucket: plan.report.bucket,
      Key: manifestKey,
      Body: JSON.stringify(manifest),
      ContentType: 'application/json',
    }),
  );
  return { ...plan, source: 'inventory', manifest: { bucket: plan.report.bucket, key: manifestKey } };
}

/**
 * One row as S3 Inventory writes it: quoted fields, the key URL-encoded (the batch finds an
 * object whose key reads differently encoded by matching size and ETag: src/bulk/batch.ts).
 */
function csvRow(bucket: string, object: _Object): string {
  const fields = [
    bucket,
    encodeURIComponent(object.Key ?? ''),
    String(object.Size ?? 0),
    object.LastModified?.toISOString() ?? '',
    (object.ETag ?? '').replace(/"/g, ''),
    object.StorageClass ?? '',
  ];
  return fields.map((field) => `"${field}"`).join(',');
}
