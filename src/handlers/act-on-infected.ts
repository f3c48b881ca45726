import type { S3Client } from '@aws-sdk/client-s3';
import { AccountClients } from '../accounts/account-clients';
import { parseActionRequest } from '../actions/action-request';
import { type DeleteOutcome, deleteInfected } from '../actions/delete-infected';
import { readInfectedObject } from '../actions/infected-object';
import { type QuarantineOutcome, quarantine } from '../actions/quarantine';
import { createS3Client } from '../aws-clients';
import { type Config, getConfig } from '../config';
import { ConfigurationError, ObjectNotFoundError } from '../errors';
import type { ObjectRef } from '../scan/contract';

export interface ActOnInfectedDependencies {
  readonly config: Config;
  readonly s3: S3Client;
  /** A member account's object (an organization hub) is acted on through its member role. */
  readonly accounts?: AccountClients;
}

/** The object (version) was gone before the action: an earlier delivery of the same event moved it, or its owner deleted it. */
export interface GoneOutcome {
  readonly action: 'quarantine' | 'delete';
  readonly source: ObjectRef;
  readonly gone: true;
}

export type ActionOutcome = QuarantineOutcome | DeleteOutcome | GoneOutcome;

/**
 * The actions function (`index.actOnInfectedHandler`), deployed only when a bucket quarantines
 * or deletes infected objects: given the object's "Scan Result" event, it checks the object is
 * still tagged INFECTED and carries out the bucket's action. Its answer is the action's outcome,
 * which the actions workflow publishes. An object already gone (a repeated delivery of the same
 * event, or its owner deleting it first) is reported as `gone`, not as a failure.
 */
export function createActOnInfectedHandler(deps: ActOnInfectedDependencies) {
  const accounts =
    deps.accounts ?? new AccountClients({ organization: deps.config.organization, s3: deps.s3 });
  return async (event: unknown): Promise<ActionOutcome> => {
    const request = parseActionRequest(event, deps.config);
    const source = accounts.s3(request.ref.account);
    let object: Awaited<ReturnType<typeof readInfectedObject>>;
    try {
      object = await readInfectedObject(source, request.ref, {
        tagKey: deps.config.statusTagKey,
        infected: deps.config.statusNames.INFECTED,
      });
    } catch (error) {
      // EventBridge delivers at least once: a second delivery finds the object already moved.
      // An infected object that is gone is what the action was for, so this is no failure.
      if (error instanceof ObjectNotFoundError)
        return { action: request.action, source: request.ref, gone: true };
      throw error;
    }
    if (request.action === 'delete') return deleteInfected(source, object);
    if (deps.config.quarantineBucket === undefined) {
      throw new ConfigurationError('QUARANTINE_BUCKET_NAME is required to quarantine infected objects');
    }
    return quarantine({ source, quarantine: deps.s3 }, object, deps.config.quarantineBucket);
  };
}

let handler: ReturnType<typeof createActOnInfectedHandler> | undefined;

export const actOnInfectedHandler = (event: unknown): Promise<ActionOutcome> => {
  handler ??= createActOnInfectedHandler({ config: getConfig(), s3: createS3Client() });
  return handler(event);
};
