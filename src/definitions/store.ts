import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DaemonStartupError } from '../errors';

/** File name endings ClamAV loads from a database directory (libclamav's CLI_DBEXT list). */
export const DATABASE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.cvd',
  '.cld',
  '.cud',
  '.db',
  '.hdb',
  '.hdu',
  '.hsb',
  '.hsu',
  '.mdb',
  '.mdu',
  '.msb',
  '.msu',
  '.fp',
  '.sfp',
  '.ndb',
  '.ndu',
  '.ldb',
  '.ldu',
  '.sdb',
  '.zmd',
  '.rmd',
  '.cfg',
  '.cdb',
  '.cat',
  '.crb',
  '.idb',
  '.ioc',
  '.yar',
  '.yara',
  '.pwdb',
  '.ign',
  '.ign2',
  '.imp',
  '.wdb',
  '.pdb',
  '.gdb',
  '.ftm',
  '.info',
  '.cbc',
]);

export function isDatabaseFile(name: string): boolean {
  return DATABASE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

export interface DefinitionsLocation {
  readonly bucket: string;
  /** Key prefix without leading or trailing slash; empty for the bucket's top level. */
  readonly prefix: string;
}

export interface RemoteDatabaseFile {
  readonly name: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
}

export interface SyncResult {
  /** True when the local database directory differs from before the sync. */
  readonly changed: boolean;
  /** Database files now in the directory, sorted by name. */
  readonly files: readonly string[];
  readonly downloaded: readonly string[];
  readonly removed: readonly string[];
}

interface LocalState {
  readonly files: Record<string, { readonly etag: string; readonly size: number }>;
}

export function describeLocation(location: DefinitionsLocation): string {
  return `s3://${location.bucket}/${location.prefix ? `${location.prefix}/` : ''}`;
}

/** Lists the database files directly under the definitions prefix. */
export async function listDatabaseFiles(
  s3: S3Client,
  location: DefinitionsLocation,
): Promise<RemoteDatabaseFile[]> {
  const prefix = location.prefix ? `${location.prefix}/` : '';
  const files: RemoteDatabaseFile[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: location.bucket,
        Prefix: prefix,
        Delimiter: '/',
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) {
      const name = object.Key?.slice(prefix.length) ?? '';
      if (!isDatabaseFile(name)) continue;
      files.push({ name, key: object.Key ?? '', size: object.Size ?? 0, etag: object.ETag ?? '' });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Mirrors the database files under the definitions prefix into `databaseDir`. Files already
 * present and unchanged (same ETag and size) are not downloaded again; files gone from S3 are
 * removed. Each file is downloaded beside the directory and renamed into it only once complete,
 * so clamd never sees a half-written database.
 */
export async function syncDefinitions(
  s3: S3Client,
  location: DefinitionsLocation,
  databaseDir: string,
): Promise<SyncResult> {
  let remote: RemoteDatabaseFile[];
  try {
    remote = await listDatabaseFiles(s3, location);
  } catch (error) {
    throw new DaemonStartupError(
      `cannot list definitions at ${describeLocation(location)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (remote.length === 0) {
    throw new DaemonStartupError(
      `no ClamAV database files found at ${describeLocation(location)} (expected files such as main.cvd, daily.cld or *.ndb)`,
    );
  }

  const incomingDir = `${databaseDir}.incoming`;
  const statePath = `${databaseDir}.state.json`;
  await mkdir(databaseDir, { recursive: true });
  await rm(incomingDir, { recursive: true, force: true });
  await mkdir(incomingDir, { recursive: true });
  const state = await readState(statePath);

  const downloaded: string[] = [];
  const files: LocalState['files'] = {};
  try {
    await forEachLimited(remote, 4, async (file) => {
      const target = path.join(databaseDir, file.name);
      const known = state.files[file.name];
      if (
        known &&
        known.etag === file.etag &&
        known.size === file.size &&
        (await sizeOf(target)) === file.size
      ) {
        files[file.name] = known;
        return;
      }
      const partial = path.join(incomingDir, file.name);
      files[file.name] = await download(s3, location.bucket, file, partial);
      await rename(partial, target);
      downloaded.push(file.name);
    });
  } catch (error) {
    throw new DaemonStartupError(
      `cannot download definitions from ${describeLocation(location)}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await rm(incomingDir, { recursive: true, force: true });
  }

  const wanted = new Set(remote.map((file) => file.name));
  const removed: string[] = [];
  for (const name of await readdir(databaseDir)) {
    if (!wanted.has(name)) {
      await rm(path.join(databaseDir, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  await writeFile(statePath, JSON.stringify({ files }));
  return {
    changed: downloaded.length > 0 || removed.length > 0,
    files: [...wanted].sort(),
    downloaded: downloaded.sort(),
    removed: removed.sort(),
  };
}

async function download(
  s3: S3Client,
  bucket: string,
  file: RemoteDatabaseFile,
  target: string,
): Promise<{ etag: string; size: number }> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: file.key }));
  if (!(response.Body instanceof Readable)) throw new Error(`no body for ${file.key}`);
  await pipeline(response.Body, createWriteStream(target));
  const size = await sizeOf(target);
  if (size === undefined || size !== response.ContentLength) {
    throw new Error(`${file.key}: received ${size} of ${response.ContentLength} bytes`);
  }
  return { etag: response.ETag ?? file.etag, size };
}

async function readState(statePath: string): Promise<LocalState> {
  try {
    return JSON.parse(await readFile(statePath, 'utf8')) as LocalState;
  } catch {
    return { files: {} };
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(runners);
}
