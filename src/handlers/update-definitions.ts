import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws-clients';
import { type BulkScanRequest, rescanRequests } from '../bulk/request';
import { type CanaryMetrics, CloudWatchCanaryMetrics } from '../canary/canary-metrics';
import { type CanaryObject, prepareCanary } from '../canary/objects';
import { type CanaryReport, type CanaryScan, judgeCanary } from '../canary/report';
import { type Config, getConfig } from '../config';
import { importDefinitions, parseImportRequest } from '../definitions/import';
import { type UpdateResult, updateDefinitions } from '../definitions/updater';
import { EmfUpdaterMetrics, type UpdaterMetrics } from '../definitions/updater-metrics';
import { ConfigurationError, InvalidEventError } from '../errors';
import { logger } from '../logger';

export interface UpdateDefinitionsDependencies {
  readonly config: Config;
  readonly s3: S3Client;
  readonly metrics: UpdaterMetrics;
  readonly canaryMetrics: CanaryMetrics;
}

/**
 * The update workflow's report: what the update step returned (its result, or the error it was
 * caught with), with the canary's verdict beside it.
 */
export type CanaryRunResult = Record<string, unknown> & { readonly canary: CanaryReport };

export type UpdaterResponse =
  | UpdateResult
  | CanaryRunResult
  | { readonly objects: CanaryObject[] }
  | { readonly rescans: BulkScanRequest[] };

/**
 * The updater Lambda. Its event is the update workflow's request:
 * - `{}` (the schedule) or `{"trigger": "deploy", ...}` (a deployment): one freshclam run,
 *   verified and published;
 * - `{"import": {"prefix"}}`: a set staged by `lambda-av definitions publish`, verified and
 *   published the same way;
 * - `{"prepareCanary": true}`: after either, writes the canary's objects in the canary bucket;
 * - `{"canaryReport": {...}}`: then judges the canary's scan executions and publishes
 *   `CanaryDetected` and `CanaryScanLatency`;
 * - `{"planRescans": {"version"}}`: after a new set was published and the canary detected, the
 *   "stale" bulk scans to start (BULK_RESCAN_TARGETS), as `{rescans: [request, ...]}`.
 * The definitions' age is emitted on every update or import, changed or not, so an alarm sees them
 * going stale, and their absence as `DefinitionsMissing`. Failures are thrown as named errors
 * (the update workflow fails visibly with them, after its canary).
 */
export function createUpdateDefinitionsHandler(deps: UpdateDefinitionsDependencies) {
  return async (event?: unknown): Promise<UpdaterResponse> => {
    const request = isObject(event) ? event : {};
    if ('prepareCanary' in request)
      return { objects: await prepareCanary(deps.s3, canaryBucket(deps.config)) };
    if ('canaryReport' in request) return reportCanary(deps, request.canaryReport);
    if ('planRescans' in request) {
      const { version } = isObject(request.planRescans) ? request.planRescans : {};
      return {
        rescans: rescanRequests(
          deps.config.updater.rescanTargets,
          typeof version === 'string' ? version : undefined,
        ),
      };
    }
    const run = { s3: deps.s3, config: deps.config, log: logger };
    const importing = 'import' in request;
    const result = importing
      ? await importDefinitions(run, parseImportRequest(request.import))
      : await updateDefinitions(run);
    if (result.ageHours !== undefined) deps.metrics.definitionsAge(result.ageHours);
    else deps.metrics.definitionsMissing();
    logger.info(importing ? 'import finished' : 'update finished', { ...result });
    return result;
  };
}

/**
 * `{"canaryReport": <the workflow's state>}`: the state holds `canary` (the branches' results),
 * and `update.result` (the update's result) or `failure` (the error it was caught with).
 */
async function reportCanary(deps: UpdateDefinitionsDependencies, value: unknown): Promise<CanaryRunResult> {
  const state = isObject(value) ? value : {};
  const unprepared = isObject(state.canaryFailure)
    ? `the canary objects could not be written: ${String(state.canaryFailure.Error)}: ${String(state.canaryFailure.Cause)}`
    : undefined;
  if (!unprepared && !Array.isArray(state.canary)) {
    throw new InvalidEventError("canaryReport.canary must be the canary scans' results (an array)");
  }
  const scans = Array.isArray(state.canary) ? (state.canary as CanaryScan[]) : [];
  const canary = judgeCanary(scans, deps.config.statusNames, unprepared);
  await deps.canaryMetrics.canaryReported(canary);
  const log = canary.detected ? logger.info : logger.error;
  log.call(logger, canary.detected ? 'canary detected' : 'canary NOT detected', { canary });
  const update = isObject(state.update) && isObject(state.update.result) ? state.update.result : {};
  return { ...update, ...(isObject(state.failure) ? { failure: state.failure } : {}), canary };
}

function canaryBucket(config: Config): string {
  if (!config.canaryBucket)
    throw new ConfigurationError('CANARY_BUCKET_NAME is not set: the canary has no bucket');
  return config.canaryBucket;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let defaults: UpdateDefinitionsDependencies | undefined;

export const updateDefinitionsHandler = (event?: unknown): Promise<UpdaterResponse> => {
  defaults ??= {
    config: getConfig(),
    s3: createS3Client(),
    metrics: new EmfUpdaterMetrics(),
    canaryMetrics: new CloudWatchCanaryMetrics(new CloudWatchClient({})),
  };
  return createUpdateDefinitionsHandler(defaults)(event);
};
