import { ACCOUNT_ID, type Config } from '../config';
import { InvalidEventError } from '../errors';
import { EVENT_SOURCE, RESULT_DETAIL_TYPE } from '../results/result-event';
import type { ObjectRef } from '../scan/contract';
import type { InfectedAction } from '../settings';

export interface ActionRequest {
  readonly action: InfectedAction;
  readonly ref: ObjectRef;
}

type Json = Record<string, unknown>;

/**
 * The "Scan Result" event of an INFECTED object whose bucket acts on such objects, as the
 * actions workflow receives it. Anything else is refused: another verdict, another status name,
 * or an action that is not the one configured for the bucket (an event put on the bus by
 * someone else cannot turn a quarantine into a deletion).
 */
export function parseActionRequest(
  event: unknown,
  config: Pick<Config, 'statusNames' | 'infectedActions'>,
): ActionRequest {
  if (!isObject(event) || event.source !== EVENT_SOURCE || event['detail-type'] !== RESULT_DETAIL_TYPE) {
    throw new InvalidEventError(`expected a "${RESULT_DETAIL_TYPE}" event from ${EVENT_SOURCE}`);
  }
  const detail = event.detail;
  if (!isObject(detail)) throw new InvalidEventError('the event has no detail');
  const { bucket, key, versionId, status, action, account } = detail;
  if (typeof bucket !== 'string' || bucket === '' || typeof key !== 'string' || key === '') {
    throw new InvalidEventError('the event names no object (detail.bucket, detail.key)');
  }
  if (versionId !== undefined && typeof versionId !== 'string') {
    throw new InvalidEventError('detail.versionId must be a string');
  }
  if (status !== config.statusNames.INFECTED) {
    throw new InvalidEventError(
      `only objects tagged ${config.statusNames.INFECTED} are acted on; s3://${bucket}/${key} is ${JSON.stringify(status)}`,
    );
  }
  const configured = config.infectedActions[bucket];
  if (configured === undefined || action !== configured) {
    throw new InvalidEventError(
      `the event asks to ${JSON.stringify(action)} s3://${bucket}/${key}, but the action configured for bucket ${bucket} is ${configured ?? 'none (tag only)'}`,
    );
  }
  if (account !== undefined && (typeof account !== 'string' || !ACCOUNT_ID.test(account))) {
    throw new InvalidEventError(
      `detail.account must be a 12-digit account id, got ${JSON.stringify(account)}`,
    );
  }
  return {
    action: configured,
    ref: { bucket, key, ...(versionId ? { versionId } : {}), ...(account ? { account } : {}) },
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
