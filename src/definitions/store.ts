import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DaemonStartupError, DefinitionsNotPublishedError } from '../errors';
import { forEachLimited } from '../util/limit';
import { isDatabaseFile } from './database-files';
import type { DefinitionsLocation } from './location';
import { readManifest } from './manifest';
import { POLICY_DATABASE, POLICY_DATABASE_NAME } from './policy';

// Which file names are databases is in its own module: local scans need it without the S3 SDK.
export { DATABASE_EXTENSIONS, isDatabaseFile } from './database-files';

export type { DefinitionsLocation } from './location';

/** One database file of a published set. */
export interface DefinitionsFile {
  readonly name: string;
  readonly key: string;
  readonly size: number;
  /** Known for sets published with a manifest; checked on download. */
  readonly sha256?: string;
  /** Known for plain prefixes; identifies the content without downloading it. */
  readonly etag?: string;
}

/** A complete set of definitions, as published under the prefix. */
export interface DefinitionsSet {
  /** The manifest's version, or for a plain prefix a digest of its files' names and ETags. */
  readonly id: string;
  readonly layout: 'manifest' | 'plain';
  readonly files: readonly DefinitionsFile[];
  /**
   * When the set was published: the manifest's `publishedAt`, or for a plain prefix its newest
   * file's LastModified. Bulk rescans judge a scan stale by it (src/bulk/bulk-mode.ts).
   */
  readonly publishedAt?: string;
}

export interface SyncResult {
  /** True when a different set was installed. */
  readonly changed: boolean;
  readonly set: DefinitionsSet;
  /** Names of the files downloaded (the others were reused). */
  readonly downloaded: readonly string[];
}

export function describeLocation(location: DefinitionsLocation): string {
  return `s3://${location.bucket}/${location.prefix ? `${location.prefix}/` : ''}`;
}

/**
 * The set currently published: the one `manifest.json` names, or else every database file
 * directly under the prefix (database files uploaded by hand, as with the original project).
 */
export async function resolvePublishedSet(
  s3: S3Client,
  location: DefinitionsLocation,
): Promise<DefinitionsSet> {
  let set: DefinitionsSet;
  try {
    const published = await readManifest(s3, location);
    set = published
      ? {
          id: published.manifest.version,
          layout: 'manifest',
          files: published.manifest.files.map(({ name, key, size, sha256 }) => ({ name, key, size, sha256 })),
          publishedAt: published.manifest.publishedAt,
        }
      : await listPlainSet(s3, location);
  } catch (error) {
    throw new DaemonStartupError(
      `cannot read definitions at ${describeLocation(location)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (set.files.length === 0) {
    throw new DefinitionsNotPublishedError(
      `no ClamAV database files found at ${describeLocation(location)} (expected a manifest.json published by the updater, or files such as main.cvd, daily.cld or *.ndb); see docs/deploy.md, "Bootstrapping definitions"`,
    );
  }
  return set;
}

async function listPlainSet(s3: S3Client, location: DefinitionsLocation): Promise<DefinitionsSet> {
  const prefix = location.prefix ? `${location.prefix}/` : '';
  const files: DefinitionsFile[] = [];
  let newest = 0;
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
      newest = Math.max(newest, object.LastModified?.getTime() ?? 0);
      files.push({ name, key: object.Key ?? '', size: object.Size ?? 0, etag: object.ETag ?? '' });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  files.sort((a, b) => a.name.localeCompare(b.name));
  const digest = createHash('sha256');
  for (const file of files) digest.update(`${file.name}\0${file.etag}\0${file.size}\n`);
  return {
    id: `plain-${digest.digest('hex').slice(0, 16)}`,
    layout: 'plain',
    files,
    ...(newest > 0 ? { publishedAt: new Date(newest).toISOString() } : {}),
  };
}

/**
 * The local copy of the definitions. Each set lives in its own directory under `<root>/sets/`,
 * with our policy signatures (`policy.ts`) beside its files;
 * `<root>/current` is a symbolic link to the active one, and is what clamd loads. A new set is
 * assembled completely beside the active one (unchanged files are hard-linked, not fetched
 * again) and the link is then replaced in one rename, so clamd never sees a partial set.
 */
export class DefinitionsDirectory {
  constructor(readonly root: string) {}

  /** The directory clamd loads. */
  get databaseDir(): string {
    return path.join(this.root, 'current');
  }

  /** The active set, if its files are all present. */
  async active(): Promise<DefinitionsSet | undefined> {
    try {
      const state = JSON.parse(
        await readFile(path.join(this.root, 'current.json'), 'utf8'),
      ) as DefinitionsSet;
      for (const file of state.files) {
        if ((await sizeOf(path.join(this.databaseDir, file.name))) !== file.size) return undefined;
      }
      return state;
    } catch {
      return undefined;
    }
  }

  /**
   * Makes `set` the active set, downloading what the active set does not already have, within
   * `timeoutMs` when given.
   */
  async sync(
    s3: S3Client,
    location: DefinitionsLocation,
    set: DefinitionsSet,
    timeoutMs?: number,
  ): Promise<SyncResult> {
    const active = await this.active();
    if (active?.id === set.id) return { changed: false, set, downloaded: [] };
    const setDir = path.join(this.root, 'sets', `${safeName(set.id)}-${randomBytes(4).toString('hex')}`);
    await mkdir(setDir, { recursive: true });
    const downloaded: string[] = [];
    const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    try {
      await forEachLimited(set.files, 4, async (file) => {
        const target = path.join(setDir, file.name);
        const same = active?.files.find((old) => old.name === file.name && sameContent(old, file));
        if (same && (await reuse(path.join(this.databaseDir, file.name), target))) return;
        await downloadDefinitionsFile(s3, location.bucket, file, target, signal);
        downloaded.push(file.name);
      });
      await writeFile(path.join(setDir, POLICY_DATABASE_NAME), POLICY_DATABASE);
    } catch (error) {
      await rm(setDir, { recursive: true, force: true });
      const reason = signal?.aborted
        ? `not complete within DEFINITIONS_DOWNLOAD_TIMEOUT_MS (${timeoutMs} ms)`
        : (error as Error).message;
      throw new DaemonStartupError(
        `cannot download definitions from ${describeLocation(location)}: ${reason}`,
        {
          cause: error,
        },
      );
    }
    await this.activate(setDir, set);
    return { changed: true, set, downloaded: downloaded.sort() };
  }

  /** The directory the `current` link points to. */
  async activeDir(): Promise<string | undefined> {
    try {
      return path.resolve(this.root, await readlink(this.databaseDir));
    } catch {
      return undefined;
    }
  }

  /** Points `current` at `setDir` (one atomic rename) and records which set it holds. */
  async activate(setDir: string, set: DefinitionsSet): Promise<void> {
    const link = path.join(this.root, `current.${randomBytes(4).toString('hex')}`);
    await symlink(path.relative(this.root, setDir), link);
    await rename(link, this.databaseDir);
    await writeFile(path.join(this.root, 'current.json.tmp'), JSON.stringify(set));
    await rename(path.join(this.root, 'current.json.tmp'), path.join(this.root, 'current.json'));
  }

  /** Removes every set directory but the active one (and `keep`), once clamd no longer needs them. */
  async prune(keep?: string): Promise<void> {
    const active = await this.activeDir();
    const setsDir = path.join(this.root, 'sets');
    for (const name of await readdir(setsDir).catch(() => [] as string[])) {
      const dir = path.join(setsDir, name);
      if (dir !== active && dir !== keep) await rm(dir, { recursive: true, force: true });
    }
  }
}

function sameContent(a: DefinitionsFile, b: DefinitionsFile): boolean {
  if (a.size !== b.size) return false;
  if (a.sha256 && b.sha256) return a.sha256 === b.sha256;
  return a.etag !== undefined && a.etag === b.etag;
}

async function reuse(source: string, target: string): Promise<boolean> {
  try {
    await link(source, target);
  } catch {
    try {
      await copyFile(source, target);
    } catch {
      return false;
    }
  }
  return true;
}

/** Downloads one file to `target`, checking its size and, when published with one, its SHA-256. */
export async function downloadDefinitionsFile(
  s3: S3Client,
  bucket: string,
  file: DefinitionsFile,
  target: string,
  signal?: AbortSignal,
): Promise<void> {
  const response = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: file.key }),
    signal ? { abortSignal: signal } : {},
  );
  if (!(response.Body instanceof Readable)) throw new Error(`no body for ${file.key}`);
  const digest = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      digest.update(chunk);
      callback(null, chunk);
    },
  });
  const partial = `${target}.partial`;
  await pipeline(response.Body, hashing, createWriteStream(partial), signal ? { signal } : {});
  const size = await sizeOf(partial);
  if (size !== file.size) throw new Error(`${file.key}: received ${size} of ${file.size} bytes`);
  const sha256 = digest.digest('hex');
  if (file.sha256 && sha256 !== file.sha256) {
    throw new Error(`${file.key}: SHA-256 ${sha256} does not match the manifest's ${file.sha256}`);
  }
  await rename(partial, target);
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}
