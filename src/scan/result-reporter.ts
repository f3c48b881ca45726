import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeClient } from '../aws-clients';
import type { Config } from '../config';
import type { logger } from '../logger';
import { BusPublisher, type EventPublisher } from '../results/publisher';
import { RESULT_DETAIL_TYPE, type ResultOrigin, resultEventDetail } from '../results/result-event';
import type { SecurityHubPublisher } from '../results/security-hub-publisher';
import type { ScanResult, Verdict } from './contract';
import type { ScanMetrics } from './scan-metrics';

export interface ResultReporterOptions {
  readonly config: Config;
  readonly metrics: ScanMetrics;
  readonly log: Pick<typeof logger, 'info' | 'warn' | 'error'>;
  /** For result events, when the configuration names a bus (RESULT_EVENT_BUS). */
  readonly eventBridge?: EventBridgeClient | undefined;
  /** Security Hub findings of INFECTED and UNSCANNABLE results, when the organization asks for them. */
  readonly findings?: Pick<SecurityHubPublisher, 'publish'> | undefined;
}

/**
 * Every final result: metrics, a log line, and the result event. The tags are written before
 * this: a result that cannot be published (ResultPublishError, after retries) keeps its verdict.
 */
export class ResultReporter {
  /** Where final results are published, if anywhere. */
  private readonly results: EventPublisher | undefined;

  constructor(private readonly options: ResultReporterOptions) {
    const { config, metrics } = options;
    this.results =
      config.resultEventBus === undefined
        ? undefined
        : new BusPublisher({
            client: options.eventBridge ?? createEventBridgeClient(),
            bus: config.resultEventBus,
            onFailure: () => metrics.resultEventFailed(),
          });
  }

  async report(verdict: Verdict, result: ScanResult, origin: ResultOrigin): Promise<ScanResult> {
    const { config, metrics, log } = this.options;
    const { results } = this;
    // The canary's objects are not uploads: the update workflow reports them itself.
    const upload = result.bucket !== config.canaryBucket;
    // On a hub every scan is counted per account, its own objects under the hub's account
    // (`lambda-av status` lists the accounts from this dimension); elsewhere there is one account.
    const account = result.account ?? config.organization?.hubAccount;
    if (upload) metrics.scanCompleted(verdict, result.durationMs, account);
    const write = verdict === 'PROCESSING_ERROR' ? log.warn : log.info;
    // `timestamp` is a key the structured logger keeps for itself (it would drop ours and warn).
    const { timestamp, ...fields } = result;
    write.call(log, 'scan finished', {
      ...fields,
      ...(timestamp !== undefined ? { scannedAt: timestamp } : {}),
      ...(origin.executionArn !== undefined ? { executionArn: origin.executionArn } : {}),
    });
    if (upload && results) {
      const detail = resultEventDetail(verdict, result, config, origin);
      await results.publish(RESULT_DETAIL_TYPE, detail, [`arn:aws:s3:::${result.bucket}`]);
    }
    if (upload) await this.options.findings?.publish(verdict, result);
    return result;
  }
}
