import type { ExecutionRecord } from './execution-store';
import type { ExecutionEvent } from './step-functions';

/**
 * An execution's history as GetExecutionHistory returns it in AWS: numbered events with
 * timestamps, state events named by the state's type (`TaskStateEntered`, `ChoiceStateExited`,
 * ...) with their details. Events that AWS has no name for (a retry) keep the runner's name.
 */
export function awsHistoryEvents(execution: ExecutionRecord): Array<Record<string, unknown>> {
  return execution.events.map((event, index) => ({
    id: index + 1,
    ...(index > 0 ? { previousEventId: index } : {}),
    timestamp: (event.timestamp ?? execution.startDate) / 1000,
    ...describe(event),
  }));
}

function describe(event: ExecutionEvent): Record<string, unknown> {
  const state = event.state ?? '';
  const kind = event.stateType ?? 'Task';
  switch (event.type) {
    case 'ExecutionStarted':
      return {
        type: 'ExecutionStarted',
        executionStartedEventDetails: { ...json('input', event.input) },
      };
    case 'ExecutionSucceeded':
      return {
        type: 'ExecutionSucceeded',
        executionSucceededEventDetails: { ...json('output', event.output) },
      };
    case 'ExecutionFailed':
      return { type: 'ExecutionFailed', executionFailedEventDetails: failure(event) };
    case 'ExecutionAborted':
      return { type: 'ExecutionAborted', executionAbortedEventDetails: failure(event) };
    case 'StateEntered':
      return {
        type: `${kind}StateEntered`,
        stateEnteredEventDetails: { name: state, ...json('input', event.input) },
      };
    case 'StateExited':
      return {
        type: `${kind}StateExited`,
        stateExitedEventDetails: { name: state, ...json('output', event.output) },
      };
    case 'StateFailed':
      return {
        type: 'TaskFailed',
        taskFailedEventDetails: { resourceType: 'lambda', resource: state, ...failure(event) },
      };
    default:
      return { type: event.type, ...(event.state ? { stateName: event.state } : {}), ...failure(event) };
  }
}

/** Execution data travels as JSON text in the API, as Step Functions sends it. */
function json(field: 'input' | 'output', value: unknown): Record<string, string> {
  return value === undefined ? {} : { [field]: JSON.stringify(value) };
}

function failure(event: ExecutionEvent): Record<string, string> {
  return { ...(event.error ? { error: event.error } : {}), ...(event.cause ? { cause: event.cause } : {}) };
}
