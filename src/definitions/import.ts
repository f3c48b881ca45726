import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DefinitionsImportError } from '../errors';
import { IMPORT_PREFIX } from './location';
import { readManifest } from './manifest';
import { publishIfChanged, type UpdateResult } from './publish';
import { downloadDefinitionsFile, isDatabaseFile } from './store';
import { publishContext, restore, type UpdaterDependencies, workArea } from './updater';

export interface ImportRequest {
  /** `lambda-av-import/<id>/`: the staged files, directly under it. */
  readonly prefix: string;
}

const STAGED = new RegExp(`^${IMPORT_PREFIX}/[A-Za-z0-9._-]{1,128}/$`);

/** `{"import": {"prefix": "lambda-av-import/<id>/"}}`, checked: the updater reads nothing else. */
export function parseImportRequest(value: unknown): ImportRequest {
  const prefix = (value as { prefix?: unknown } | null)?.prefix;
  if (typeof prefix !== 'string' || !STAGED.test(prefix)) {
    throw new DefinitionsImportError(
      `import.prefix must be ${IMPORT_PREFIX}/<id>/ (letters, digits, . _ -), got ${JSON.stringify(prefix)}`,
    );
  }
  return { prefix };
}

/** ClamAV's signed container formats: one database, whichever of the three it comes as. */
const CONTAINERS = ['.cvd', '.cld', '.cud'];

/**
 * Publishes a set of database files staged under `request.prefix` (copied from a workstation where
 * freshclam works, say), through the updater's own path: the published set is restored, each
 * staged file replaces the file of the same database (`main.cvd` replaces `main.cld`), the
 * result is loaded in ClamAV and published in the updater's layout, manifest last. The staged
 * copy is then removed; a set that does not load publishes nothing and is left where it was
 * staged, for inspection.
 */
export async function importDefinitions(
  deps: UpdaterDependencies,
  request: ImportRequest,
): Promise<UpdateResult> {
  const ctx = publishContext(deps);
  const { s3, config, location } = ctx;
  const staged = await listStaged(s3, location.bucket, request.prefix);
  const files = staged.filter((file) => isDatabaseFile(file.name));
  const ignored = staged.filter((file) => !isDatabaseFile(file.name)).map((file) => file.name);
  if (files.length === 0) {
    throw new DefinitionsImportError(
      `no ClamAV database files under s3://${location.bucket}/${request.prefix} (found: ${ignored.join(', ') || 'nothing'})`,
    );
  }

  const { work, databaseDir } = await workArea(config);
  const published = await readManifest(s3, location);
  await restore(s3, location, published?.manifest, databaseDir, config.definitionsDownloadTimeoutMs);
  const incoming = path.join(work, 'import');
  await rm(incoming, { recursive: true, force: true });
  await mkdir(incoming, { recursive: true });
  const signal = AbortSignal.timeout(config.definitionsDownloadTimeoutMs);
  for (const file of files) {
    await downloadDefinitionsFile(s3, location.bucket, file, path.join(incoming, file.name), signal);
  }
  for (const file of files) {
    for (const replaced of sameDatabase(file.name))
      await rm(path.join(databaseDir, replaced), { force: true });
    await rename(path.join(incoming, file.name), path.join(databaseDir, file.name));
  }
  await rm(incoming, { recursive: true, force: true });

  const result = await publishIfChanged(ctx, databaseDir, published, 'nothing to publish');
  await s3.send(
    new DeleteObjectsCommand({
      Bucket: location.bucket,
      Delete: { Objects: staged.map((file) => ({ Key: file.key })) },
    }),
  );
  ctx.log.info('definitions imported', { version: result.version, files: files.map((file) => file.name) });
  return { ...result, imported: { files: files.map((file) => file.name).sort(), ignored } };
}

/** The names a database file may have in the work area: `main.cvd` stands for main.cvd, .cld and .cud. */
function sameDatabase(name: string): string[] {
  const extension = path.extname(name).toLowerCase();
  if (!CONTAINERS.includes(extension)) return [name];
  return CONTAINERS.map((other) => `${name.slice(0, -extension.length)}${other}`);
}

async function listStaged(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<Array<{ name: string; key: string; size: number }>> {
  const staged: Array<{ name: string; key: string; size: number }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key ?? '';
      staged.push({ name: key.slice(prefix.length), key, size: object.Size ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return staged;
}
