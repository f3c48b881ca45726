import { randomUUID } from 'node:crypto';
import { LocalServiceError } from '../../src/errors';
import { type JsonObject, startJsonServer } from '../../src/local/protocol/json-protocol';
import { type LocalEndpoint, newLocalCredentials } from '../../src/local/protocol/local-credentials';

/** An event as EventBridge delivers it to a rule's target. */
export interface DeliveredEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
  /** The bus it was put on (not part of a delivered event; kept for tests). */
  readonly bus: string;
}

/** What to answer instead of accepting an entry: a failed request, or a refused entry. */
export type PutEventsFault =
  | { readonly kind: 'request'; readonly status: number; readonly type: string }
  | { readonly kind: 'entry'; readonly errorCode: string };

export interface LocalEventBridgeOptions {
  /** Asked for each entry; a fault it returns is answered instead of accepting the entry. */
  readonly fault?: (entry: Readonly<Record<string, unknown>>) => PutEventsFault | undefined;
  /** Called with each accepted event, as a rule's target would get it. */
  readonly onEvent?: (event: DeliveredEvent) => void;
}

export interface LocalEventBridgeServer extends LocalEndpoint {
  /** Every event accepted, in order. */
  readonly events: readonly DeliveredEvent[];
  /** PutEvents requests received, failed ones included. */
  readonly requests: number;
  stop(): Promise<void>;
}

/**
 * A stand-in for EventBridge's PutEvents on 127.0.0.1 (AWS JSON 1.1, `X-Amz-Target:
 * AWSEvents.PutEvents`, as `@aws-sdk/client-eventbridge` sends it): a sink that keeps each
 * accepted entry as the event a target would receive, answers per entry with an EventId or an
 * ErrorCode, and can be told to fail requests or refuse entries. Entries must carry Source,
 * DetailType and a Detail that is a JSON object, as EventBridge requires.
 */
export async function startLocalEventBridge(
  options: LocalEventBridgeOptions = {},
): Promise<LocalEventBridgeServer> {
  const events: DeliveredEvent[] = [];
  let requests = 0;
  const PutEvents = (body: JsonObject) => {
    const entries = (body.Entries as Array<Record<string, unknown>> | undefined) ?? [];
    const faults = entries.map((entry) => options.fault?.(entry));
    const failedRequest = faults.find((fault) => fault?.kind === 'request');
    if (failedRequest?.kind === 'request') {
      throw new LocalServiceError(failedRequest.type, 'injected failure', failedRequest.status);
    }
    const answers = entries.map((entry, i) => {
      const fault = faults[i];
      if (fault?.kind === 'entry') return { ErrorCode: fault.errorCode, ErrorMessage: 'injected failure' };
      const problem = invalid(entry);
      if (problem) return { ErrorCode: 'MalformedDetail', ErrorMessage: problem };
      const event: DeliveredEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': String(entry.DetailType),
        source: String(entry.Source),
        account: '123456789012',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: (entry.Resources as string[] | undefined) ?? [],
        detail: JSON.parse(String(entry.Detail)),
        bus: String(entry.EventBusName ?? 'default'),
      };
      events.push(event);
      options.onEvent?.(event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: answers.filter((answer) => 'ErrorCode' in answer).length, Entries: answers };
  };
  const credentials = newLocalCredentials();
  const server = await startJsonServer(
    { targetPrefix: 'AWSEvents', version: '1.1', label: 'this local EventBridge', operations: { PutEvents } },
    { service: 'events', credentials, onRequest: () => requests++ },
  );
  return {
    endpoint: server.endpoint,
    credentials,
    events,
    get requests() {
      return requests;
    },
    stop: () => server.stop(),
  };
}

function invalid(entry: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof entry.Source !== 'string' || entry.Source === '') return 'Source is required';
  if (typeof entry.DetailType !== 'string' || entry.DetailType === '') return 'DetailType is required';
  try {
    const detail = JSON.parse(String(entry.Detail));
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
      return 'Detail must be a JSON object';
  } catch {
    return 'Detail is not valid JSON';
  }
  return undefined;
}
