import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws-clients';
import { type Config, getConfig } from '../config';
import { importDefinitions, parseImportRequest } from '../definitions/import';
import { type UpdateResult, updateDefinitions } from '../definitions/updater';
import { logger } from '../logger';
import { EmfUpdaterMetrics, type UpdaterMetrics } from '../metrics';

export interface UpdateDefinitionsDependencies {
  readonly config: Config;
  readonly s3: S3Client;
  readonly metrics: UpdaterMetrics;
}

/**
 * The updater Lambda: one freshclam run, verified and published; or, for `{"import": {"prefix"}}`,
 * a set staged by `lambda-av definitions publish`, verified and published the same way. Any other
 * event (the schedule's `{}`, a deployment's `{"trigger": "deploy", ...}`) is an update. The
 * definitions' age is emitted as a metric on every run, changed or not, so an alarm sees them
 * going stale, and their absence as `DefinitionsMissing`. Failures are thrown as named errors (the
 * update state machine fails visibly with them).
 */
export function createUpdateDefinitionsHandler(deps: UpdateDefinitionsDependencies) {
  return async (event?: unknown): Promise<UpdateResult> => {
    const run = { s3: deps.s3, config: deps.config, log: logger };
    const importing = typeof event === 'object' && event !== null && 'import' in event;
    const result = importing
      ? await importDefinitions(run, parseImportRequest((event as { import: unknown }).import))
      : await updateDefinitions(run);
    if (result.ageHours !== undefined) deps.metrics.definitionsAge(result.ageHours);
    else deps.metrics.definitionsMissing();
    logger.info(importing ? 'import finished' : 'update finished', { ...result });
    return result;
  };
}

let defaults: UpdateDefinitionsDependencies | undefined;

export const updateDefinitionsHandler = (event?: unknown): Promise<UpdateResult> => {
  defaults ??= { config: getConfig(), s3: createS3Client(), metrics: new EmfUpdaterMetrics() };
  return createUpdateDefinitionsHandler(defaults)(event);
};
