import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Config } from '../config';
import { ConcurrentUpdateError, DefinitionsUpdateError } from '../errors';
import { readCvdHeader } from './cvd';
import { renderFreshclamConf, runFreshclam } from './freshclam';
import {
  keyOf,
  type Manifest,
  type ManifestFile,
  objectKey,
  readManifest,
  STATE_NAME,
  writeManifest,
} from './manifest';
import { type DefinitionsLocation, describeLocation, downloadDefinitionsFile, isDatabaseFile } from './store';
import { verifyDefinitions } from './verify';

/** The updater's own record of a mirror's cool-down, kept beside the definitions. */
export const UPDATER_STATE_NAME = 'updater-state.json';

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
}

export interface UpdaterDependencies {
  readonly s3: S3Client;
  readonly config: Config;
  readonly now?: () => Date;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
}

interface UpdaterState {
  readonly coolDownUntil?: string;
  readonly reason?: string;
}

/** freshclam's usual pause after a rate limit, when it does not say how long. */
const DEFAULT_COOL_DOWN_MS = 4 * 3600 * 1000;

/**
 * One update run: restore the published set and freshclam's state into the work area, let
 * freshclam fetch what changed, verify that the result loads in ClamAV, and publish it as a new
 * set (files first, the manifest last) only if anything changed.
 */
export async function updateDefinitions(deps: UpdaterDependencies): Promise<UpdateResult> {
  const { s3, config } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? { info() {}, warn() {} };
  const location: DefinitionsLocation = {
    bucket: config.definitionsBucket,
    prefix: config.definitionsPrefix,
  };
  const work = path.join(config.workDir, 'updater');
  const databaseDir = path.join(work, 'db');
  await mkdir(databaseDir, { recursive: true });

  const published = await readManifest(s3, location);
  const state = await readUpdaterState(s3, location);
  if (state.coolDownUntil && new Date(state.coolDownUntil) > now()) {
    log.warn('mirror cool-down in force: not contacting it', { until: state.coolDownUntil });
    return describe(published?.manifest, false, now(), {
      until: state.coolDownUntil,
      reason: state.reason ?? '',
    });
  }
  await restore(s3, location, published?.manifest, databaseDir, config.definitionsDownloadTimeoutMs);

  const configFile = path.join(work, 'freshclam.conf');
  await writeFile(configFile, renderFreshclamConf(config.updater, databaseDir));
  const outcome = await runFreshclam({
    binDir: config.clamavBinDir,
    databaseDir,
    configFile,
    timeoutMs: config.updater.freshclamTimeoutMs,
  });
  await saveFreshclamState(s3, location, databaseDir);
  if (outcome.rateLimited) {
    const until = outcome.coolDownUntil ?? new Date(now().getTime() + DEFAULT_COOL_DOWN_MS);
    const reason = lastLines(outcome.output, /error code|cool-down/);
    await writeUpdaterState(s3, location, { coolDownUntil: until.toISOString(), reason });
    log.warn('mirror rate limit: nothing fetched', { until: until.toISOString(), reason });
    return describe(published?.manifest, false, now(), { until: until.toISOString(), reason });
  }
  if (outcome.exitCode !== 0 && outcome.exitCode !== 1) {
    throw new DefinitionsUpdateError(
      `freshclam failed (exit ${outcome.exitCode}); the published definitions are unchanged: ${lastLines(outcome.output, /ERROR|WARNING|failed/i)}`,
    );
  }

  const files = await describeLocalFiles(databaseDir, published?.manifest, now());
  if (files.length === 0) {
    throw new DefinitionsUpdateError(
      'freshclam left no database files; check the mirror and database settings',
    );
  }
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

/** Brings the work area to the published set, so freshclam only fetches what is newer. */
async function restore(
  s3: S3Client,
  location: DefinitionsLocation,
  manifest: Manifest | undefined,
  databaseDir: string,
  timeoutMs: number,
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const wanted = new Map((manifest?.files ?? []).map((file) => [file.name, file]));
  for (const name of await readdir(databaseDir)) {
    if (name === STATE_NAME) continue;
    const file = wanted.get(name);
    if (!file || (await sha256Of(path.join(databaseDir, name))) !== file.sha256) {
      await rm(path.join(databaseDir, name), { recursive: true, force: true });
    }
  }
  for (const file of wanted.values()) {
    const target = path.join(databaseDir, file.name);
    if ((await sha256Of(target)) !== file.sha256) {
      await downloadDefinitionsFile(s3, location.bucket, file, target, signal);
    }
  }
  try {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: keyOf(location, STATE_NAME) }),
    );
    await writeFile(
      path.join(databaseDir, STATE_NAME),
      (await response.Body?.transformToByteArray()) ?? new Uint8Array(),
    );
  } catch (error) {
    if ((error as Error).name !== 'NoSuchKey') throw error;
  }
}

async function saveFreshclamState(s3: S3Client, location: DefinitionsLocation, databaseDir: string) {
  const body = await readFile(path.join(databaseDir, STATE_NAME)).catch(() => undefined);
  if (body) {
    await s3.send(
      new PutObjectCommand({ Bucket: location.bucket, Key: keyOf(location, STATE_NAME), Body: body }),
    );
  }
}

async function readUpdaterState(s3: S3Client, location: DefinitionsLocation): Promise<UpdaterState> {
  try {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: keyOf(location, UPDATER_STATE_NAME) }),
    );
    return JSON.parse((await response.Body?.transformToString('utf8')) ?? '{}') as UpdaterState;
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return {};
    throw error;
  }
}

async function writeUpdaterState(s3: S3Client, location: DefinitionsLocation, state: UpdaterState) {
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: keyOf(location, UPDATER_STATE_NAME),
      Body: JSON.stringify(state),
      ContentType: 'application/json',
    }),
  );
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

function describe(
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

async function sha256Of(file: string): Promise<string | undefined> {
  try {
    const digest = createHash('sha256');
    for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
    return digest.digest('hex');
  } catch {
    return undefined;
  }
}

function lastLines(output: string, pattern: RegExp): string {
  const lines = output.split('\n').filter((line) => pattern.test(line));
  return (lines.length > 0 ? lines : output.split('\n')).slice(-6).join('\n').trim();
}
