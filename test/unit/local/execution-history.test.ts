import { awsHistoryEvents } from '../../../src/local/execution-history';
import type { ExecutionRecord } from '../../../src/local/execution-store';

test("an execution's history reads as GetExecutionHistory's in AWS", () => {
  const record: ExecutionRecord = {
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:e',
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m',
    name: 'e',
    input: '{"a":1}',
    status: 'FAILED',
    startDate: 1_000,
    events: [
      { type: 'ExecutionStarted', timestamp: 1_000, input: { a: 1 } },
      { type: 'StateEntered', timestamp: 1_001, state: 'Scan', stateType: 'Task', input: { a: 1 } },
      { type: 'StateFailed', timestamp: 1_002, state: 'Scan', stateType: 'Task', error: 'E', cause: 'why' },
      { type: 'ExecutionFailed', timestamp: 1_003, error: 'E', cause: 'why' },
    ],
  };

  expect(awsHistoryEvents(record)).toEqual([
    { id: 1, timestamp: 1, type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"a":1}' } },
    {
      id: 2,
      previousEventId: 1,
      timestamp: 1.001,
      type: 'TaskStateEntered',
      stateEnteredEventDetails: { name: 'Scan', input: '{"a":1}' },
    },
    {
      id: 3,
      previousEventId: 2,
      timestamp: 1.002,
      type: 'TaskFailed',
      taskFailedEventDetails: { resourceType: 'lambda', resource: 'Scan', error: 'E', cause: 'why' },
    },
    {
      id: 4,
      previousEventId: 3,
      timestamp: 1.003,
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'E', cause: 'why' },
    },
  ]);
});
