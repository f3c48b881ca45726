import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Config } from '../config';
import { ConcurrentUpdateError, DefinitionsUpdateError } from '../errors';
import { readCvdHeader } from './cvd';
import {
  keyOf,
  type Manifest,
  type ManifestFile,
  type ManifestRead,
  objectKey,
  writeManifest,
} from './manifest';
import { type DefinitionsLocation, describeLocation, isDatabaseFile } from './store';
import { verifyDefinitions } from './verify';

export interface UpdateResult {
  /** True when a new set was published. */
  readonly changed: boolean;
  /** The published set's version (manifest version), if any set is published. */
  readonly version: string | undefined;
  /** Build time of the newest database in the published set. */
  readonly builtAt: string | undefined;
  /** Age of the published definitions, in hours. */
  readonly ageHours: number | undefined;
  readonly files: ReadonlyArray<Pick<ManifestFile, 'name' | 'size' | 'version' | 'builtAt'>>;
  /** Present when the mirror rate-limited us: nothing was fetched, and when to try again. */
  readonly coolDown?: { readonly until: string; readonly reason: string };
  /** Present for an import: the files brought in, and the staged files that were not databases. */
  readonly imported?: { readonly files: readonly string[]; readonly ignored: readonly string[] };
}

/** What publishing needs: where, which clock and log, and the ClamAV settings to verify with. */
export interface PublishContext {
  readonly s3: S3Client;
  readonly config: Config;
  readonly location: DefinitionsLocation;
  readonly now: () => Date;
  readonly log: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Publishes the databases in `databaseDir` as a new set, unless they are the published set:
 * proves the set loads in ClamAV, stores new files content-addressed, writes `manifest.json`
 * last (conditionally: a concurrent publish makes this one fail with ConcurrentUpdateError),
 * then removes stored files neither the new nor the previous manifest names.
 */
export async function publishIfChanged(
  ctx: PublishContext,
  databaseDir: string,
  published: ManifestRead | undefined,
  noFilesMessage: string,
): Promise<UpdateResult> {
  const { s3, config, location, now, log } = ctx;
  const files = await describeLocalFiles(databaseDir, published?.manifest, now());
  if (files.length === 0) throw new DefinitionsUpdateError(noFilesMessage);
  if (published && sameSet(files, published.manifest.files)) {
    log.info('definitions unchanged', { version: published.manifest.version });
    return describe(published.manifest, false, now());
  }

  const verification = await verifyDefinitions(
    config.clamavBinDir,
    databaseDir,
    config.updater.verifyTimeoutMs,
  );
  const manifest = buildManifest(location, files, now());
  for (const file of manifest.files) {
    if (!(await exists(s3, location.bucket, file.key))) {
      await s3.send(
        new PutObjectCommand({
          Bucket: location.bucket,
          Key: file.key,
          Body: createReadStream(path.join(databaseDir, file.name)),
          ContentLength: file.size,
        }),
      );
    }
  }
  try {
    await writeManifest(s3, location, manifest, published?.etag);
  } catch (error) {
    if (
      (error as Error).name === 'PreconditionFailed' ||
      (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412
    ) {
      throw new ConcurrentUpdateError(
        `another updater published definitions at ${describeLocation(location)} during this run; this run published nothing`,
        { cause: error },
      );
    }
    throw error;
  }
  await removeUnreferenced(s3, location, [manifest, published?.manifest]);
  log.info('definitions published', { version: manifest.version, loadMs: verification.loadMs });
  return describe(manifest, true, now());
}

type LocalFile = Omit<ManifestFile, 'key'>;

async function describeLocalFiles(
  databaseDir: string,
  previous: Manifest | undefined,
  now: Date,
): Promise<LocalFile[]> {
  const names = (await readdir(databaseDir)).filter(isDatabaseFile).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(databaseDir, name);
      const sha256 = (await sha256Of(file)) as string;
      const header = await readCvdHeader(file, name);
      const earlier = previous?.files.find((old) => old.name === name && old.sha256 === sha256);
      return {
        name,
        size: (await stat(file)).size,
        sha256,
        ...(header ? { version: header.version } : {}),
        // Plain-text databases carry no build time: the first time this content was published.
        builtAt: header?.builtAt.toISOString() ?? earlier?.builtAt ?? now.toISOString(),
      };
    }),
  );
}

function sameSet(files: readonly LocalFile[], published: readonly ManifestFile[]): boolean {
  const key = (f: { name: string; sha256: string }) => `${f.name}:${f.sha256}`;
  return files.map(key).sort().join('\n') === published.map(key).sort().join('\n');
}

function buildManifest(location: DefinitionsLocation, files: readonly LocalFile[], now: Date): Manifest {
  const digest = createHash('sha256');
  for (const file of files) digest.update(`${file.name}:${file.sha256}\n`);
  const builtAt =
    files
      .map((file) => file.builtAt)
      .sort()
      .at(-1) ?? now.toISOString();
  return {
    schema: 1,
    version: `${now.toISOString().replace(/[-:]|\.\d+/g, '')}-${digest.digest('hex').slice(0, 8)}`,
    publishedAt: now.toISOString(),
    builtAt,
    files: files.map((file) => ({ ...file, key: objectKey(location, file.sha256, file.name) })),
  };
}

export function describe(
  manifest: Manifest | undefined,
  changed: boolean,
  now: Date,
  coolDown?: UpdateResult['coolDown'],
): UpdateResult {
  const ageHours = manifest
    ? Math.round(((now.getTime() - new Date(manifest.builtAt).getTime()) / 3_600_000) * 100) / 100
    : undefined;
  return {
    changed,
    version: manifest?.version,
    builtAt: manifest?.builtAt,
    ageHours,
    files: (manifest?.files ?? []).map(({ name, size, version, builtAt }) => ({
      name,
      size,
      ...(version !== undefined ? { version } : {}),
      builtAt,
    })),
    ...(coolDown ? { coolDown } : {}),
  };
}

/**
 * Deletes stored database objects that neither the new nor the previous manifest names. The
 * previous set is kept so that a scanner still downloading it finds every file.
 */
async function removeUnreferenced(
  s3: S3Client,
  location: DefinitionsLocation,
  manifests: ReadonlyArray<Manifest | undefined>,
): Promise<void> {
  const keep = new Set(manifests.flatMap((manifest) => manifest?.files.map((file) => file.key) ?? []));
  const prefix = keyOf(location, 'objects/');
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: location.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const stale = (page.Contents ?? [])
      .map((object) => object.Key ?? '')
      .filter((key) => key && !keep.has(key));
    if (stale.length > 0) {
      await s3.send(
        new DeleteObjectsCommand({
          Bucket: location.bucket,
          Delete: { Objects: stale.map((Key) => ({ Key })) },
        }),
      );
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
      return false;
    throw error;
  }
}

export async function sha256Of(file: string): Promise<string | undefined> {
  try {
    const digest = createHash('sha256');
    for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
    return digest.digest('hex');
  } catch {
    return undefined;
  }
}
