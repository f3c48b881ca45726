import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isDatabaseFile } from './database-files';
import type { DefinitionsLocation } from './location';

/**
 * The published layout. Database files are stored content-addressed under
 * `<prefix>/objects/<sha256>/<name>` and never rewritten; `<prefix>/manifest.json` names the
 * files of the current set and is written last, in one PUT. A scanner that reads a manifest
 * therefore finds every file it lists complete, and never sees a mix of two sets.
 */
export interface Manifest {
  readonly schema: 1;
  /** Identifies the set: changes whenever any file does. */
  readonly version: string;
  readonly publishedAt: string;
  /** Build time of the newest database in the set. */
  readonly builtAt: string;
  readonly files: readonly ManifestFile[];
}

export interface ManifestFile {
  readonly name: string;
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** From the CVD header, for official-format databases. */
  readonly version?: number;
  /** From the CVD header; for plain-text databases, when this content was first published. */
  readonly builtAt: string;
}

export const MANIFEST_NAME = 'manifest.json';

export const STATE_NAME = 'freshclam.dat';

export function keyOf(location: DefinitionsLocation, name: string): string {
  return location.prefix ? `${location.prefix}/${name}` : name;
}

export function objectKey(location: DefinitionsLocation, sha256: string, name: string): string {
  return keyOf(location, `objects/${sha256}/${name}`);
}

export interface ManifestRead {
  readonly manifest: Manifest;
  readonly etag: string | undefined;
}

/** The published manifest, or undefined when the prefix has none (a plain prefix of files). */
export async function readManifest(
  s3: S3Client,
  location: DefinitionsLocation,
): Promise<ManifestRead | undefined> {
  try {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: keyOf(location, MANIFEST_NAME) }),
    );
    const text = (await response.Body?.transformToString('utf8')) ?? '';
    return { manifest: parseManifest(text), etag: response.ETag };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw error;
  }
}

export function parseManifest(text: string): Manifest {
  const manifest = JSON.parse(text) as Manifest;
  if (manifest.schema !== 1 || !Array.isArray(manifest.files) || typeof manifest.version !== 'string') {
    throw new Error('manifest.json is not a lambda-av-daemon definitions manifest (schema 1)');
  }
  manifest.files.forEach(checkFile);
  return manifest;
}

/**
 * A listed file is downloaded under its name into the scanner's definitions directory: a name
 * that is not a plain database file name (a path, `..`, another extension) is refused, as are
 * sizes and digests that could not have come from the updater.
 */
function checkFile(file: unknown, index: number): void {
  const problem = fileProblem((file ?? {}) as Partial<ManifestFile>);
  if (problem)
    throw new Error(`manifest.json lists a file that cannot be published (files[${index}]): ${problem}`);
}

function fileProblem({ name, key, size, sha256 }: Partial<ManifestFile>): string | undefined {
  if (typeof name !== 'string' || !isDatabaseFile(name))
    return `its name ${JSON.stringify(name)} is not a database file name`;
  if (typeof key !== 'string' || key === '') return 'it has no key';
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    return `its size ${JSON.stringify(size)} is not a byte count`;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
    return `its sha256 ${JSON.stringify(sha256)} is not 64 hexadecimal digits`;
  return undefined;
}

/**
 * Writes the manifest, only if the one read before is still current: two updaters never
 * overwrite each other's set unknowingly (S3 conditional writes).
 */
export async function writeManifest(
  s3: S3Client,
  location: DefinitionsLocation,
  manifest: Manifest,
  previousEtag: string | undefined,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: keyOf(location, MANIFEST_NAME),
      Body: `${JSON.stringify(manifest, null, 2)}\n`,
      ContentType: 'application/json',
      ...(previousEtag ? { IfMatch: previousEtag } : { IfNoneMatch: '*' }),
    }),
  );
}
