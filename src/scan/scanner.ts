import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { AccountClients } from '../accounts/account-clients';
import { createS3Client } from '../aws-clients';
import type { Config } from '../config';
import type { RefreshResult } from '../definitions/refresher';
import { DaemonConnectionError } from '../errors';
import { logger as defaultLogger } from '../logger';
import type { ResultOrigin } from '../results/result-event';
import { findingsPublisher } from '../results/security-hub-publisher';
import type { EventObject, ObjectRef, ScanResult, TagRequest } from './contract';
import { type ResolvedObject, resolveEventObject } from './resolve-object';
import { ResultReporter } from './result-reporter';
import { EmfScanMetrics, type ScanMetrics } from './scan-metrics';
import {
  isRetryable,
  type ScanDependencies,
  scanAndTag,
  tagWithoutScan,
  unidentifiedResult,
} from './scan-object';
import { type PrepareResult, WarmEngine } from './warm-engine';

export type { PrepareResult } from './warm-engine';

export interface ScannerOptions {
  readonly config: Config;
  readonly s3?: S3Client;
  /** Clients per account, for an organization hub (src/accounts/); default: built from the configuration. */
  readonly accounts?: AccountClients;
  /** For result events, when RESULT_EVENT_BUS names a bus. */
  readonly eventBridge?: EventBridgeClient;
  readonly metrics?: ScanMetrics;
  readonly logger?: Pick<typeof defaultLogger, 'info' | 'warn' | 'error'>;
  /** The clock, in milliseconds (tests move it to make a definitions check due). */
  readonly now?: () => number;
  /** clamd dies with this process: for local stacks (src/clamd/parent-death.ts). */
  readonly diesWithParent?: boolean;
}

/**
 * The warm scanner of one Lambda instance: its engine (src/scan/warm-engine.ts) keeps clamd
 * running on the newest definitions; the scanner finds the object, scans it, tags it and reports
 * the result (src/scan/result-reporter.ts).
 */
export class Scanner {
  /** The scanner's S3 client (bulk scans read tags and reports with it too). */
  readonly s3: S3Client;
  /** clamd and its definitions (src/scan/warm-engine.ts). */
  readonly engine: WarmEngine;
  /** The S3 client for each object's account (the scanner's own for its own account). */
  readonly accounts: AccountClients;
  private readonly reporter: ResultReporter;
  private readonly log: NonNullable<ScannerOptions['logger']>;

  constructor(private readonly options: ScannerOptions) {
    const { config } = options;
    this.s3 = options.s3 ?? createS3Client();
    const metrics = options.metrics ?? new EmfScanMetrics();
    this.log = options.logger ?? defaultLogger;
    this.engine = new WarmEngine({
      config,
      s3: this.s3,
      metrics,
      log: this.log,
      now: options.now ?? Date.now,
      diesWithParent: options.diesWithParent,
    });
    this.accounts =
      options.accounts ?? new AccountClients({ organization: config.organization, s3: this.s3 });
    this.reporter = new ResultReporter({
      config,
      metrics,
      log: this.log,
      eventBridge: options.eventBridge,
      findings: findingsPublisher(config.organization, this.accounts),
    });
  }

  /** Makes sure definitions are present and clamd answers (src/scan/warm-engine.ts). */
  prepare(): Promise<PrepareResult> {
    return this.engine.prepare();
  }

  async scan(object: ObjectRef, origin: ResultOrigin = {}): Promise<ScanResult> {
    await this.prepare();
    return this.engine.track(async () => {
      try {
        const { verdict, result } = await scanAndTag(this.scanDependencies(object), object);
        return await this.reporter.report(verdict, withAccount(result, object), origin);
      } catch (error) {
        if (error instanceof DaemonConnectionError) {
          this.log.warn('clamd stopped answering; it will be started again on the next scan', {
            error: error.message,
          });
        }
        throw error;
      }
    });
  }

  /**
   * Scans the object an EventBridge event names, once found by matching the event
   * (src/scan/resolve-object.ts). One over the size limit is tagged SKIPPED without being read
   * and without starting clamd; one that matches nothing is a PROCESSING_ERROR, nothing tagged.
   */
  async scanEvent(event: EventObject, origin: ResultOrigin = {}): Promise<ScanResult> {
    const startedAt = performance.now();
    let resolved: ResolvedObject;
    try {
      resolved = await this.resolve(event);
    } catch (error) {
      return this.unidentified(event, error, startedAt, origin);
    }
    if (resolved.size > this.options.config.maxFileSize) {
      return this.tag(
        { verdict: 'SKIPPED', target: { kind: 'ref', ref: resolved.object }, size: resolved.size },
        origin,
      );
    }
    return this.scan(resolved.object, origin);
  }

  /** Tags an object SKIPPED or PROCESSING_ERROR without scanning it: no daemon is needed. */
  async tag(request: TagRequest, origin: ResultOrigin = {}): Promise<ScanResult> {
    const startedAt = performance.now();
    let object: ObjectRef;
    if (request.target.kind === 'event') {
      try {
        object = (await this.resolve(request.target.event)).object;
      } catch (error) {
        return this.unidentified(request.target.event, error, startedAt, origin, request.error);
      }
    } else {
      object = request.target.ref;
    }
    const { verdict, result } = await tagWithoutScan(this.scanDependencies(object), object, request);
    return this.reporter.report(verdict, withAccount(result, object), origin);
  }

  /**
   * The result for an object a caller could not even look at (a bulk scan that cannot read its
   * tags, say): PROCESSING_ERROR, nothing tagged, logged and counted like any scan. A retryable
   * failure is thrown instead.
   */
  notScanned(object: ObjectRef, error: unknown, startedAt: number): Promise<ScanResult> {
    const { bucket, key: eventKey, account } = object;
    return this.unidentified({ bucket, eventKey, ...(account ? { account } : {}) }, error, startedAt, {});
  }

  /** Switches clamd to a newer published set, if there is one (src/scan/warm-engine.ts). */
  refresh(): Promise<RefreshResult> {
    return this.engine.refresh();
  }

  shutdown(): Promise<void> {
    return this.engine.shutdown();
  }

  /** The event's object, found with the S3 client of the event's account; it keeps the account. */
  private async resolve(event: EventObject): Promise<ResolvedObject> {
    const account = this.accounts.accountOf(event.account);
    const resolved = await resolveEventObject(this.accounts.s3(account), event);
    return account === undefined ? resolved : { ...resolved, object: { ...resolved.object, account } };
  }

  private scanDependencies(object?: ObjectRef): ScanDependencies {
    return {
      s3: this.accounts.s3(object?.account),
      clamd: this.engine.daemon.client,
      settings: this.options.config,
      definitions: this.engine.definitions,
      refusal: () => this.engine.refusal(),
      replacedIfUnresponsive: () => this.engine.daemon.recoverIfUnresponsive(),
    };
  }

  /** An event whose object could not be found (or looked up): a per-object failure, thrown by nothing. */
  private unidentified(
    event: EventObject,
    error: unknown,
    startedAt: number,
    origin: ResultOrigin,
    caught?: TagRequest['error'],
  ): Promise<ScanResult> {
    if (isRetryable(error)) throw error;
    const failure = error instanceof Error ? error : new Error(String(error));
    const object = { bucket: event.bucket, key: event.eventKey };
    const account = this.accounts.accountOf(event.account);
    const { verdict, result } = unidentifiedResult(
      this.scanDependencies(),
      object,
      failure,
      Math.round(performance.now() - startedAt),
      caught,
    );
    return this.reporter.report(verdict, withAccount(result, { ...object, account }), origin);
  }
}

/** A result names the account its object belongs to, when the object names one (an organization hub). */
function withAccount(result: ScanResult, object: { readonly account?: string | undefined }): ScanResult {
  return object.account === undefined ? result : { ...result, account: object.account };
}
