import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { resolveTool } from '../../src/clamd/binaries';
import { run } from './processes';

/** One invocation of the original project's method, phase by phase (milliseconds). */
export interface OriginalTiming {
  readonly totalMs: number;
  /** HeadObject, then GetObject written to a temporary file. */
  readonly downloadMs: number;
  /** The scanner process on that file, from spawn to exit. */
  readonly scanMs: number;
  /** GetObjectTagging, then PutObjectTagging. */
  readonly taggingMs: number;
}

/** Scans a file by running a ClamAV program and returns whether it is infected. */
export type FileScanner = (file: string) => Promise<boolean>;

/** `clamdscan` against a running clamd (the clamd.conf names its socket). */
export function clamdscan(confFile: string): FileScanner {
  const tool = resolveTool('clamdscan', undefined);
  return async (file) =>
    exitVerdict(await run(tool.file, [...tool.args, `--config-file=${confFile}`, '--no-summary', file]));
}

/** `clamscan`, which loads the whole database directory on every call. */
export function clamscan(databaseDir: string): FileScanner {
  const tool = resolveTool('clamscan', undefined);
  return async (file) =>
    exitVerdict(await run(tool.file, [...tool.args, '--no-summary', `--database=${databaseDir}`, file]));
}

function exitVerdict(result: { code: number | null; stdout: string; stderr: string }): boolean {
  if (result.code === 0) return false;
  if (result.code === 1) return true;
  throw new Error(
    `scanner exited with ${result.code}: ${(result.stdout + result.stderr).trim().slice(0, 500)}`,
  );
}

let sequence = 0;

/**
 * The original project's per-object method, as it runs in its Lambda: four sequential S3
 * requests (HeadObject and GetObject into a temporary file, then GetObjectTagging and
 * PutObjectTagging), the file scanned by a separate ClamAV process, the file removed.
 */
export async function originalMethod(
  s3: S3Client,
  tempDir: string,
  scanFile: FileScanner,
  object: { readonly bucket: string; readonly key: string },
): Promise<OriginalTiming> {
  const started = performance.now();
  const file = path.join(tempDir, `original-${process.pid}-${sequence++}`);
  await s3.send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key }));
  const response = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
  await pipeline(response.Body as Readable, createWriteStream(file));
  const downloaded = performance.now();
  const infected = await scanFile(file);
  const scanned = performance.now();
  const existing = await s3.send(new GetObjectTaggingCommand({ Bucket: object.bucket, Key: object.key }));
  const TagSet = (existing.TagSet ?? []).filter(
    (tag) => tag.Key !== 'av-status' && tag.Key !== 'av-timestamp',
  );
  TagSet.push({ Key: 'av-status', Value: infected ? 'INFECTED' : 'CLEAN' });
  TagSet.push({ Key: 'av-timestamp', Value: String(Date.now()) });
  await s3.send(new PutObjectTaggingCommand({ Bucket: object.bucket, Key: object.key, Tagging: { TagSet } }));
  const tagged = performance.now();
  await rm(file, { force: true });
  if (infected) throw new Error(`the original method found s3://${object.bucket}/${object.key} infected`);
  return {
    totalMs: performance.now() - started,
    downloadMs: downloaded - started,
    scanMs: scanned - downloaded,
    taggingMs: tagged - scanned,
  };
}
