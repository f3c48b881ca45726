import type { LocalEndpoint } from '../../src/local/protocol/local-credentials';
import type { BenchS3 } from './s3';
import type { BenchScanner } from './scanner';
import type { instrument } from './timeline';

/** What every section needs: the local S3, a scratch directory, the scale of the run. */
export interface BenchContext {
  readonly quick: boolean;
  readonly s3: BenchS3;
  readonly workDir: string;
  readonly bucket: string;
  /** The local EventBridge every scanner publishes its results to, as the stack's scanner does. */
  readonly eventBridge: LocalEndpoint;
  progress(message: string): void;
}

/** The services a scanner in a child process reaches: endpoints and key pairs only, as JSON carries them. */
export function childEndpoints(ctx: BenchContext): { s3: LocalEndpoint; eventBridge: LocalEndpoint } {
  return {
    s3: { endpoint: ctx.s3.endpoint, credentials: ctx.s3.credentials },
    eventBridge: { endpoint: ctx.eventBridge.endpoint, credentials: ctx.eventBridge.credentials },
  };
}

/** One definitions set with a warm scanner instance (our handler and its clamd) on it. */
export interface Engine {
  readonly id: 'realistic' | 'light';
  readonly description: string;
  readonly signatures: number;
  readonly scanner: BenchScanner;
  /** The same database files on local disk (what per-invocation clamscan loads). */
  readonly databaseDir: string;
  /** A clamd.conf naming the warm clamd's socket, for `clamdscan`. */
  readonly clamdscanConf: string;
  /** Records where each handler invocation spends its time. */
  readonly timeline: ReturnType<typeof instrument>;
}

let counter = 0;

/** A fresh object key: no two measurements share an object. */
export function uniqueKey(prefix: string): string {
  return `${prefix}/${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** `items` turned left by `by`: the order of methods changes from run to run. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const n = by % items.length;
  return [...items.slice(n), ...items.slice(0, n)];
}
