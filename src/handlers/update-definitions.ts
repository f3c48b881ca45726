import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws-clients';
import { type Config, getConfig } from '../config';
import { type UpdateResult, updateDefinitions } from '../definitions/updater';
import { logger } from '../logger';
import { EmfUpdaterMetrics, type UpdaterMetrics } from '../metrics';

export interface UpdateDefinitionsDependencies {
  readonly config: Config;
  readonly s3: S3Client;
  readonly metrics: UpdaterMetrics;
}

/**
 * The updater Lambda: one freshclam run, verified and published; the definitions' age is
 * emitted as a metric on every run, changed or not, so an alarm sees definitions going stale.
 * Failures are thrown as named errors (the update state machine fails visibly with them).
 */
export function createUpdateDefinitionsHandler(deps: UpdateDefinitionsDependencies) {
  return async (): Promise<UpdateResult> => {
    const result = await updateDefinitions({ s3: deps.s3, config: deps.config, log: logger });
    if (result.ageHours !== undefined) deps.metrics.definitionsAge(result.ageHours);
    logger.info('update finished', { ...result });
    return result;
  };
}

let defaults: UpdateDefinitionsDependencies | undefined;

export const updateDefinitionsHandler = (): Promise<UpdateResult> => {
  defaults ??= { config: getConfig(), s3: createS3Client(), metrics: new EmfUpdaterMetrics() };
  return createUpdateDefinitionsHandler(defaults)();
};
