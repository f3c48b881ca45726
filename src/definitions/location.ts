/** Where a set of definitions is published: a bucket and a key prefix. */
export interface DefinitionsLocation {
  readonly bucket: string;
  /** Key prefix without leading or trailing slash; empty for the bucket's top level. */
  readonly prefix: string;
}

/**
 * Where `lambda-av definitions publish` stages a set brought from elsewhere, in the definitions
 * bucket but outside the definitions prefix: operators may write there, scanners cannot read it,
 * and only the updater publishes from it (src/definitions/import.ts).
 * Here rather than beside the manifest: the construct reads it, and must not load the AWS SDK.
 */
export const IMPORT_PREFIX = 'lambda-av-import';
