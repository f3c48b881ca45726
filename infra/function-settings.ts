import path from 'node:path';
import { Duration, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import { taskTimeoutSeconds, UPDATE_DEFINITION_FILE } from './asl-definition';
import {
  type Budgets,
  checkFits,
  EXPRESS_BUDGETS_MS,
  resolveBudgets,
  scannerBudget,
  updaterBudget,
  withMargin,
} from './budgets';
import { MAX_EPHEMERAL_MIB, MIN_EPHEMERAL_MIB, scannerStorage } from './ephemeral-storage';
import { WorkflowType } from './lambda-av-choices';
import type { LambdaAvProps } from './lambda-av-props';
import { checkInteger, checkSetting, checkWholeMinutes, LambdaAvPropsError } from './validation';
import type { WorkflowSettings } from './workflow-settings';

/** The scanner's and the updater's size and time: memory, /tmp, the budgets of their steps, timeouts. */
export interface FunctionSettings {
  readonly maxFileSize: number;
  readonly scannerMemorySize: number;
  readonly scannerEphemeralStorage: Size;
  readonly updaterMemorySize: number;
  readonly updaterEphemeralStorage: Size;
  readonly budgets: Budgets;
  readonly scannerTimeout: Duration;
  readonly updaterTimeout: Duration;
}

/** How many scanner instances there are and how they are kept warm. */
export interface CapacitySettings {
  readonly warmConcurrency: number;
  readonly warmerInterval: Duration;
}

/**
 * Memory, /tmp and timeouts. Each timeout holds its function's steps with margin, and is shorter
 * than the state machine task that invokes the function, which would otherwise give up on a scan
 * still running.
 */
export function resolveFunctions(props: LambdaAvProps, workflow: WorkflowSettings): FunctionSettings {
  const maxFileSize = checkSetting('maxFileSize', props.maxFileSize, 'MAX_FILE_SIZE');
  const scannerMemorySize = checkInteger('scannerMemorySize', props.scannerMemorySize ?? 2048, 128, 10_240);
  const updaterMemorySize = checkInteger('updaterMemorySize', props.updaterMemorySize ?? 2048, 128, 10_240);
  const express = workflow.workflowType === WorkflowType.EXPRESS;
  const budgets = resolveBudgets(
    {
      definitionsDownload: props.definitionsDownloadTimeout,
      daemonStart: props.daemonStartTimeout,
      scan: props.scanTimeout,
      freshclam: props.freshclamTimeout,
      verify: props.verifyTimeout,
    },
    express ? EXPRESS_BUDGETS_MS : {},
  );
  const scannerTimeout = functionTimeout(
    'scannerTimeout',
    props.scannerTimeout,
    scannerBudget(budgets),
    {
      definitionsDownloadTimeout: budgets.definitionsDownload,
      daemonStartTimeout: budgets.daemonStart,
      scanTimeout: budgets.scan,
    },
    // Inside Express's 5 minutes every second counts: round to 10 s, not to whole minutes.
    express ? 10 : 60,
  );
  const updaterTimeout = functionTimeout('updaterTimeout', props.updaterTimeout, updaterBudget(budgets), {
    'definitionsDownloadTimeout (restore)': budgets.definitionsDownload,
    freshclamTimeout: budgets.freshclam,
    verifyTimeout: budgets.verify,
    'definitionsDownloadTimeout (publish)': budgets.definitionsDownload,
  });
  checkShorterThanTask('scannerTimeout', scannerTimeout, workflow.scanDefinitionFile, 'Scan');
  checkShorterThanTask('updaterTimeout', updaterTimeout, UPDATE_DEFINITION_FILE, 'UpdateDefinitions');

  const storage = scannerStorage(maxFileSize);
  const scannerEphemeralStorage = props.scannerEphemeralStorageSize ?? Size.mebibytes(storage.totalMib);
  checkStorage('scannerEphemeralStorageSize', scannerEphemeralStorage);
  const updaterEphemeralStorage = props.updaterEphemeralStorageSize ?? Size.mebibytes(2048);
  checkStorage('updaterEphemeralStorageSize', updaterEphemeralStorage);
  return {
    maxFileSize,
    scannerMemorySize,
    scannerEphemeralStorage,
    updaterMemorySize,
    updaterEphemeralStorage,
    budgets,
    scannerTimeout,
    updaterTimeout,
  };
}

/** Reserved and provisioned concurrency fit together; the warmer's fan-out fits in them. */
export function resolveCapacity(props: LambdaAvProps): CapacitySettings {
  if (props.reservedConcurrency !== undefined) {
    checkInteger('reservedConcurrency', props.reservedConcurrency, 1, 10_000);
  }
  if (props.provisionedConcurrency !== undefined) {
    checkInteger('provisionedConcurrency', props.provisionedConcurrency, 1, 10_000);
    if (props.reservedConcurrency !== undefined && props.provisionedConcurrency > props.reservedConcurrency) {
      throw new LambdaAvPropsError(
        `provisionedConcurrency (${props.provisionedConcurrency}) cannot exceed reservedConcurrency (${props.reservedConcurrency})`,
      );
    }
  }
  const warmConcurrency = checkSetting('warmConcurrency', props.warmConcurrency, 'WARM_CONCURRENCY');
  if (props.reservedConcurrency !== undefined && warmConcurrency > props.reservedConcurrency) {
    throw new LambdaAvPropsError(
      `warmConcurrency (${warmConcurrency}) cannot exceed reservedConcurrency (${props.reservedConcurrency}): the fan-out would be throttled`,
    );
  }
  const warmerInterval = props.warmerInterval ?? Duration.minutes(5);
  checkWholeMinutes('warmerInterval', warmerInterval, 1, 60);
  return { warmConcurrency, warmerInterval };
}

/**
 * A function's timeout: the one given, checked to hold the function's steps with margin, or by
 * default those steps with margin in whole minutes (at most Lambda's 15).
 */
function functionTimeout(
  name: string,
  given: Duration | undefined,
  total: Duration,
  steps: Record<string, Duration>,
  roundToSeconds = 60,
): Duration {
  const timeout =
    given ??
    Duration.seconds(
      Math.min(900, Math.ceil(withMargin(total).toSeconds() / roundToSeconds) * roundToSeconds),
    );
  checkInteger(`${name} (seconds)`, timeout.toSeconds({ integral: false }), 1, 900);
  checkFits(name, timeout, steps, total);
  return timeout;
}

/** The state machine's task must outwait the function, or it gives up on a scan still running. */
function checkShorterThanTask(name: string, timeout: Duration, file: string, state: string): void {
  const limit = taskTimeoutSeconds(file, state);
  if (timeout.toSeconds({ integral: false }) >= limit) {
    throw new LambdaAvPropsError(
      `${name} (${timeout.toSeconds({ integral: false })} s) must be shorter than the ${state} task's TimeoutSeconds (${limit} s in statemachine/${path.basename(file)})`,
    );
  }
}

function checkStorage(name: string, size: Size): void {
  checkInteger(
    `${name} (MiB)`,
    size.toMebibytes({ rounding: SizeRoundingBehavior.NONE }),
    MIN_EPHEMERAL_MIB,
    MAX_EPHEMERAL_MIB,
  );
}
