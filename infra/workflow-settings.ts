import { Duration } from 'aws-cdk-lib';
import { DEFAULT_RETRY_BUDGET_SECONDS } from '../src/asl/retry-budget';
import { SCAN_DEFINITION_FILE, SCAN_EXPRESS_DEFINITION_FILE } from './asl-definition';
import { worstCaseOfFile } from './asl-timing';
import { WorkflowType } from './lambda-av-choices';
import type { LambdaAvProps } from './lambda-av-props';
import { checkInteger, LambdaAvPropsError, quote } from './validation';

/** The scan state machine: its type, its definition, and how long it waits out transient errors. */
export interface WorkflowSettings {
  readonly workflowType: WorkflowType;
  readonly scanDefinitionFile: string;
  /** The scan's budget for errors that say nothing about the object (throttling, starting). */
  readonly retryBudget: Duration;
  /** With Express: the queue whose redeliveries carry the retries. */
  readonly expressQueue?: ExpressQueueSettings;
}

export interface ExpressQueueSettings {
  readonly visibilityTimeout: Duration;
  /** Deliveries of one upload's event, the last one tagging PROCESSING_ERROR if it fails too. */
  readonly maxReceiveCount: number;
  readonly retryBudget: Duration;
}

/**
 * What the scan state machine logs to CloudWatch Logs (always with execution data). A Standard
 * execution keeps its whole history in Step Functions, where the console and `lambda-av history`
 * read it: its log gets the failures. An Express execution has no history but its log: every
 * event, which the console reads.
 */
export const SCAN_LOG_LEVEL: Readonly<Record<WorkflowType, 'ALL' | 'ERROR'>> = {
  [WorkflowType.STANDARD]: 'ERROR',
  [WorkflowType.EXPRESS]: 'ALL',
};

/** Express's own limit on an execution's duration. */
export const EXPRESS_DURATION_LIMIT = Duration.minutes(5);

/** The workflow type checked, its definition file, the retry budget and, for Express, its queue. */
export function resolveWorkflow(props: LambdaAvProps): WorkflowSettings {
  const workflowType = props.workflowType ?? WorkflowType.STANDARD;
  if (workflowType !== WorkflowType.STANDARD && workflowType !== WorkflowType.EXPRESS) {
    throw new LambdaAvPropsError(`workflowType must be STANDARD or EXPRESS, got ${quote(workflowType)}`);
  }
  const express = workflowType === WorkflowType.EXPRESS;
  const retryBudget = props.retryBudget ?? Duration.seconds(DEFAULT_RETRY_BUDGET_SECONDS);
  checkInteger('retryBudget (seconds)', retryBudget.toSeconds({ integral: false }), 60, 24 * 3600);
  return {
    workflowType,
    scanDefinitionFile: express ? SCAN_EXPRESS_DEFINITION_FILE : SCAN_DEFINITION_FILE,
    retryBudget,
    ...(express ? { expressQueue: expressQueue(retryBudget) } : {}),
  };
}

/**
 * The queue in front of an Express scan machine: its visibility timeout outlasts an execution
 * (the message is redelivered only once its execution has surely ended), and its deliveries span
 * the retry budget. The Express definition must end within 5 minutes on every path, or an upload
 * could time out untagged: checked here, from the definition's own timeouts and retries.
 */
function expressQueue(retryBudget: Duration): ExpressQueueSettings {
  const worst = worstCaseOfFile(SCAN_EXPRESS_DEFINITION_FILE);
  const limit = EXPRESS_DURATION_LIMIT.toSeconds() - 10;
  if (worst.seconds > limit) {
    throw new LambdaAvPropsError(
      `statemachine/scan-express.asl.json can run ${worst.seconds} s on ${worst.path.join(' -> ')}, more than Express's 5 minutes less 10 s (${limit} s): an upload could time out untagged`,
    );
  }
  const visibilityTimeout = Duration.seconds(EXPRESS_DURATION_LIMIT.toSeconds() + 30);
  const budgetSeconds = checkInteger(
    'retryBudget with EXPRESS (seconds)',
    retryBudget.toSeconds(),
    visibilityTimeout.toSeconds(),
    12 * 3600,
  );
  return {
    visibilityTimeout,
    maxReceiveCount: Math.max(2, Math.ceil(budgetSeconds / visibilityTimeout.toSeconds())),
    retryBudget,
  };
}
