import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';
import { DefinitionsUpdateError } from '../errors';
import { awsSecretReader } from './aws-secret-reader';
import { renderFreshclamConf, runFreshclam } from './freshclam';
import { keyOf, type Manifest, readManifest, STATE_NAME } from './manifest';
import { probeMirror } from './mirror-probe';
import { describe, type PublishContext, publishIfChanged, sha256Of, type UpdateResult } from './publish';
import { resolveSecretUrls, type SecretReader } from './secret-urls';
import { type DefinitionsLocation, downloadDefinitionsFile } from './store';

export type { UpdateResult } from './publish';

/** The updater's own record of a mirror's cool-down, kept beside the definitions. */
export const UPDATER_STATE_NAME = 'updater-state.json';

export interface UpdaterDependencies {
  readonly s3: S3Client;
  readonly config: Config;
  readonly now?: () => Date;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
  /** Reads CLAMAV_MIRROR_URL_SECRET and CLAMAV_CUSTOM_DATABASE_URL_SECRETS; default: from AWS. */
  readonly secrets?: SecretReader;
}

/** Built once per process, when a run first needs it. */
let defaultSecretReader: SecretReader | undefined;

function secretReader(): SecretReader {
  defaultSecretReader ??= awsSecretReader();
  return defaultSecretReader;
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
  const ctx = publishContext(deps);
  const { s3, config, location, now, log } = ctx;
  const { work, databaseDir } = await workArea(config);

  const published = await readManifest(s3, location);
  const state = await readUpdaterState(s3, location);
  if (state.coolDownUntil && new Date(state.coolDownUntil) > now()) {
    log.warn('mirror cool-down in force: not contacting it', { until: state.coolDownUntil });
    return describe(published?.manifest, false, now(), {
      until: state.coolDownUntil,
      reason: state.reason ?? '',
    });
  }
  // Read on every run (after the cool-down check, which needs none): a rotated secret is used next time.
  const { updater, redact } = await resolveSecretUrls(config.updater, deps.secrets ?? secretReader());
  await restore(s3, location, published?.manifest, databaseDir, config.definitionsDownloadTimeoutMs);

  const configFile = path.join(work, 'freshclam.conf');
  await writeFile(configFile, renderFreshclamConf(updater, databaseDir));
  const run = await runFreshclam({
    binDir: config.clamavBinDir,
    databaseDir,
    configFile,
    timeoutMs: updater.freshclamTimeoutMs,
  });
  // freshclam prints its URLs: none of a secret's reaches a message, a log or the bucket.
  const outcome = { ...run, output: redact(run.output) };
  await saveFreshclamState(s3, location, databaseDir);
  const failed = outcome.exitCode !== 0 && outcome.exitCode !== 1;
  // freshclam words a private mirror's refusal of the official databases' header request as
  // "Malformed CVD header (too short)": the mirror's own answer says whether it refused us.
  const refusal = failed && !outcome.rateLimited ? await probeMirror(updater, now()) : undefined;
  if (outcome.rateLimited || refusal) {
    const until = refusal?.until ?? outcome.coolDownUntil ?? new Date(now().getTime() + DEFAULT_COOL_DOWN_MS);
    const reason = redact(refusal?.reason ?? lastLines(outcome.output, /error code|cool-down/));
    await writeUpdaterState(s3, location, { coolDownUntil: until.toISOString(), reason });
    log.warn('mirror rate limit: nothing fetched', { until: until.toISOString(), reason });
    return describe(published?.manifest, false, now(), { until: until.toISOString(), reason });
  }
  if (failed) {
    throw new DefinitionsUpdateError(
      `freshclam failed (exit ${outcome.exitCode}); the published definitions are unchanged: ${lastLines(outcome.output, /ERROR|WARNING|failed/i)}`,
    );
  }

  return publishIfChanged(
    ctx,
    databaseDir,
    published,
    'freshclam left no database files; check the mirror and database settings',
  );
}

export function publishContext(deps: UpdaterDependencies): PublishContext {
  const { s3, config } = deps;
  return {
    s3,
    config,
    location: { bucket: config.definitionsBucket, prefix: config.definitionsPrefix },
    now: deps.now ?? (() => new Date()),
    log: deps.log ?? { info() {}, warn() {} },
  };
}

/** The updater's work area: kept between runs of a warm instance, so unchanged files stay. */
export async function workArea(config: Config): Promise<{ work: string; databaseDir: string }> {
  const work = path.join(config.workDir, 'updater');
  const databaseDir = path.join(work, 'db');
  await mkdir(databaseDir, { recursive: true });
  return { work, databaseDir };
}

/** Brings the work area to the published set, so freshclam only fetches what is newer. */
export async function restore(
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

function lastLines(output: string, pattern: RegExp): string {
  const lines = output.split('\n').filter((line) => pattern.test(line));
  return (lines.length > 0 ? lines : output.split('\n')).slice(-6).join('\n').trim();
}
