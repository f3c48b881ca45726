/** Where a set of definitions is published: a bucket and a key prefix. */
export interface DefinitionsLocation {
  readonly bucket: string;
  /** Key prefix without leading or trailing slash; empty for the bucket's top level. */
  readonly prefix: string;
}
