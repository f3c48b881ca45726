import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { ResultPublishError } from '../errors';
import { EVENT_SOURCE } from './result-event';

/** Publishes events to one bus. */
export interface EventPublisher {
  publish(detailType: string, detail: object, resources?: readonly string[]): Promise<void>;
}

export interface BusPublisherOptions {
  readonly client: EventBridgeClient;
  /** Bus name or ARN; `default` is the account's default bus. */
  readonly bus: string;
  /** Attempts in all for an entry EventBridge refused (the SDK retries failed requests itself). */
  readonly attempts?: number;
  /** First wait between attempts; doubled each time, with jitter. */
  readonly backoffMs?: number;
  /** Called once per event that could not be published. */
  readonly onFailure?: () => void;
}

/**
 * PutEvents of one entry, retried: the SDK retries throttled and failed requests, and a request
 * that succeeds may still refuse the entry (FailedEntryCount, ErrorCode), which is retried here
 * with backoff and jitter. After the last attempt the failure is counted (`onFailure`) and thrown
 * as ResultPublishError.
 */
export class BusPublisher implements EventPublisher {
  constructor(private readonly options: BusPublisherOptions) {}

  async publish(detailType: string, detail: object, resources: readonly string[] = []): Promise<void> {
    const entry: PutEventsRequestEntry = {
      EventBusName: this.options.bus,
      Source: EVENT_SOURCE,
      DetailType: detailType,
      Detail: JSON.stringify(detail),
      Resources: [...resources],
    };
    const attempts = this.options.attempts ?? 3;
    let problem = 'no attempt made';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await this.options.client.send(new PutEventsCommand({ Entries: [entry] }));
        const refused = response.Entries?.[0];
        if (!response.FailedEntryCount && refused?.EventId) return;
        problem =
          `EventBridge refused the event: ${refused?.ErrorCode ?? 'no event id'} ${refused?.ErrorMessage ?? ''}`.trim();
      } catch (error) {
        problem = `PutEvents failed: ${(error as Error).name}: ${(error as Error).message}`;
      }
      if (attempt < attempts) await sleep(jittered((this.options.backoffMs ?? 200) * 2 ** (attempt - 1)));
    }
    this.options.onFailure?.();
    throw new ResultPublishError(
      `could not publish the "${detailType}" event to bus ${this.options.bus} after ${attempts} attempts: ${problem}`,
    );
  }
}

/** Between half and all of `ms` (full jitter would allow no wait at all). */
function jittered(ms: number): number {
  return ms / 2 + Math.random() * (ms / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
