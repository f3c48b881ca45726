import { readFileSync } from 'node:fs';
import type { ExecutionEvent } from '../../src/local/step-functions';

/**
 * Bytes a state machine logging with execution data writes to CloudWatch Logs for one execution,
 * estimated from the local run's history: at level ALL one record per history event (at ERROR
 * only the failure events: a successful execution writes nothing), in the
 * record format Step Functions documents (`id`, `type`, `details`, `previous_event_id`,
 * `event_timestamp`, `execution_arn`, `redrive_count`), execution data as JSON strings. The local
 * runner reports states entered and exited; the records AWS adds for a Task (TaskScheduled with
 * its parameters, TaskStarted, TaskSucceeded with the service's response) are added here, a
 * Lambda response carrying the SDK's HTTP metadata beside the payload.
 */
export function stepFunctionsLogBytes(
  definitionFile: string,
  events: readonly ExecutionEvent[],
  executionArn: string,
  level: 'ALL' | 'ERROR',
): number {
  const definition = JSON.parse(readFileSync(definitionFile, 'utf8')) as {
    States: Record<string, { Type: string; Resource?: string }>;
  };
  let id = 0;
  let bytes = 0;
  const record: Recorder = (type, details) => {
    id += 1;
    if (level === 'ERROR' && !/(Failed|TimedOut|Aborted)$/.test(type)) return;
    bytes +=
      JSON.stringify({
        id: String(id),
        type,
        details,
        previous_event_id: String(id - 1),
        event_timestamp: String(Date.now()),
        execution_arn: executionArn,
        redrive_count: '0',
      }).length + 1;
  };
  const data = (value: unknown) => JSON.stringify(value ?? null);
  for (const event of events) {
    const state = event.state ? definition.States[event.state] : undefined;
    const stateType = state?.Type ?? '';
    switch (event.type) {
      case 'ExecutionStarted':
        record('ExecutionStarted', {
          input: data(event.input),
          inputDetails: { truncated: false },
          roleArn: 'arn:aws:iam::123456789012:role/LambdaAv-ScanStateMachineRoleA1B2C3D4-0123456789AB',
        });
        break;
      case 'ExecutionSucceeded':
        record('ExecutionSucceeded', { output: data(event.output), outputDetails: { truncated: false } });
        break;
      case 'ExecutionFailed':
        record('ExecutionFailed', { error: event.error ?? '', cause: event.cause ?? '' });
        break;
      case 'StateEntered':
        record(`${stateType}StateEntered`, {
          name: event.state,
          input: data(event.input),
          inputDetails: { truncated: false },
        });
        if (stateType === 'Task') taskStarted(state?.Resource ?? '', event.input, record);
        break;
      case 'StateExited':
        if (stateType === 'Task') taskSucceeded(state?.Resource ?? '', event.output, record);
        record(`${stateType}StateExited`, {
          name: event.state,
          output: data(event.output),
          outputDetails: { truncated: false },
        });
        break;
      default:
        record(event.type, { error: event.error ?? '', cause: event.cause ?? '' });
    }
  }
  return bytes;
}

type Recorder = (type: string, details: Record<string, unknown>) => void;

/** `lambda` and `invoke`, or `s3` and `headObject` for an AWS SDK integration. */
function taskResource(resource: string): { resourceType: string; resource: string } {
  const parts = resource.split(':');
  return parts[5] === 'aws-sdk'
    ? { resourceType: parts[6] ?? '', resource: parts[7] ?? '' }
    : { resourceType: parts[5] ?? '', resource: parts[6] ?? '' };
}

/** The Task records after a Task state's entry: scheduled with its parameters, started. */
function taskStarted(resource: string, input: unknown, record: Recorder): void {
  const base = taskResource(resource);
  record('TaskScheduled', { ...base, region: 'us-east-1', parameters: JSON.stringify(input ?? null) });
  record('TaskStarted', base);
}

/** The Task record before a Task state's exit: the service's response. */
function taskSucceeded(resource: string, output: unknown, record: Recorder): void {
  const base = taskResource(resource);
  record('TaskSucceeded', {
    ...base,
    output: JSON.stringify(base.resourceType === 'lambda' ? LAMBDA_RESPONSE(output) : S3_RESPONSE),
    outputDetails: { truncated: false },
  });
}

/** What the Lambda Invoke integration returns around the function's payload. */
const LAMBDA_RESPONSE = (payload: unknown) => ({
  ExecutedVersion: '$LATEST',
  Payload: payload,
  SdkHttpMetadata: {
    AllHttpHeaders: {
      'X-Amz-Executed-Version': ['$LATEST'],
      'x-amzn-Remapped-Content-Length': ['0'],
      Connection: ['keep-alive'],
      'x-amzn-RequestId': ['a7b3c4d5-1111-2222-3333-444455556666'],
      'Content-Length': ['512'],
      Date: ['Mon, 30 Nov 2026 07:00:00 GMT'],
      'X-Amzn-Trace-Id': ['root=1-5759e988-bd862e3fe1be46a994272793;sampled=1'],
      'Content-Type': ['application/json'],
    },
    HttpHeaders: {
      Connection: 'keep-alive',
      'Content-Length': '512',
      'Content-Type': 'application/json',
      Date: 'Mon, 30 Nov 2026 07:00:00 GMT',
      'X-Amz-Executed-Version': '$LATEST',
      'x-amzn-Remapped-Content-Length': '0',
      'x-amzn-RequestId': 'a7b3c4d5-1111-2222-3333-444455556666',
      'X-Amzn-Trace-Id': 'root=1-5759e988-bd862e3fe1be46a994272793;sampled=1',
    },
    HttpStatusCode: 200,
  },
  SdkResponseMetadata: { RequestId: 'a7b3c4d5-1111-2222-3333-444455556666' },
  StatusCode: 200,
});

/** A HeadObject response as the SDK integration returns it. */
const S3_RESPONSE = {
  AcceptRanges: 'bytes',
  ContentLength: 1048576,
  ContentType: 'application/octet-stream',
  ETag: '"b1946ac92492d2347c6235b4d2611184"',
  LastModified: '2026-11-30T07:00:00Z',
  Metadata: {},
  ServerSideEncryption: 'AES256',
};
