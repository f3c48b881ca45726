import { Duration } from 'aws-cdk-lib';
import { IMPORT_PREFIX } from '../src/definitions/location';
import { type AlarmSettings, resolveAlarms } from './alarm-settings';
import { type BulkSettings, resolveBulk } from './bulk-settings';
import {
  type CapacitySettings,
  type FunctionSettings,
  resolveCapacity,
  resolveFunctions,
} from './function-settings';
import type { LambdaAvProps } from './lambda-av-props';
import { resolveSweep, type SweepSettings } from './sweep-settings';
import { resolveTags, type TagSettings } from './tag-settings';
import { resolveUpdates, type UpdateSettings } from './update-settings';
import { checkInteger, checkPrefix, LambdaAvPropsError, quote } from './validation';
import { resolveWorkflow, type WorkflowSettings } from './workflow-settings';

export const DEFAULT_PREFIX = 'av-definitions';

/** The props checked and with their defaults filled in, by concern. */
export interface Settings
  extends WorkflowSettings,
    FunctionSettings,
    CapacitySettings,
    UpdateSettings,
    AlarmSettings,
    TagSettings {
  /** Key prefix of the definitions (PATH_TO_AV_DEFINITIONS). */
  readonly prefix: string;
  readonly quarantineRetention: Duration;
  readonly bulk: BulkSettings;
  /** The scheduled sweep, unless turned off. */
  readonly sweep: SweepSettings | undefined;
}

/**
 * Checks every prop before anything is created, so a wrong value fails `cdk synth` with the
 * prop's name and the value received, and fills in the defaults.
 */
export function resolveSettings(props: LambdaAvProps): Settings {
  const prefix = resolvePrefix(props);
  const workflow = resolveWorkflow(props);
  const functions = resolveFunctions(props, workflow);
  const capacity = resolveCapacity(props);
  const updates = resolveUpdates(props);
  const alarms = resolveAlarms(props, updates.updateInterval);
  const tags = resolveTags(props);
  const quarantineRetention = props.quarantineRetention ?? Duration.days(90);
  checkInteger('quarantineRetention (whole days)', quarantineRetention.toDays({ integral: false }), 1, 3650);
  const bulk = resolveBulk(props);
  // The sweep leaves alone what the event path may still be doing (its retries, the last attempt).
  const sweep = resolveSweep(props.sweep, {
    retryBudget: workflow.retryBudget,
    ...(workflow.expressQueue ? { expressQueue: workflow.expressQueue } : {}),
    scannerTimeout: functions.scannerTimeout,
  });
  return {
    prefix,
    ...workflow,
    ...functions,
    ...capacity,
    ...updates,
    ...alarms,
    ...tags,
    quarantineRetention,
    bulk,
    sweep,
  };
}

/** The definitions' key prefix: a valid one, and not where `lambda-av definitions publish` stages sets. */
function resolvePrefix(props: LambdaAvProps): string {
  const prefix = checkPrefix('definitionsPrefix', props.definitionsPrefix ?? DEFAULT_PREFIX);
  if (prefix === IMPORT_PREFIX || prefix.startsWith(`${IMPORT_PREFIX}/`)) {
    throw new LambdaAvPropsError(
      `definitionsPrefix must not be ${quote(IMPORT_PREFIX)} or under it: that is where lambda-av definitions publish stages files, got ${quote(prefix)}`,
    );
  }
  return prefix;
}
