import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import * as s3Sdk from '@aws-sdk/client-s3';
import { substitute } from '../asl/placeholders';
import { RemoteError } from '../errors';
import './promise-with-resolvers';

import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import {
  LOCAL_RESOURCE_PREFIX,
  type LocalMapRun,
  runDistributedMap,
  withLocalDistributedMaps,
} from './distributed-map';

/** JSON as aws-local-stepfunctions types it (the type is not exported). */
type JSONValue = Parameters<StateMachine['run']>[0];

// The local stack, the CLI, the tests and the benchmarks name the ASL files through the runner.
export {
  ACT_ON_INFECTED_STATE_MACHINE,
  BULK_SCAN_STATE_MACHINE,
  SCAN_EXPRESS_STATE_MACHINE,
  SCAN_STATE_MACHINE,
  STATE_MACHINE_DIR,
  UPDATE_STATE_MACHINE,
} from '../asl/files';

export interface LocalStepFunctionsOptions {
  /** Client for `lambda:invoke` tasks, pointed at the local Lambda endpoint. */
  readonly lambda: LambdaClient;
  /** Client for `aws-sdk:s3:*` tasks, pointed at the local S3 server. */
  readonly s3: s3Sdk.S3Client;
  /** Client for `events:putEvents` tasks, pointed at the local EventBridge. */
  readonly eventBridge?: EventBridgeClient;
  /** Values for the `${Placeholders}` in the ASL files. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** Milliseconds to wait between retries, by state name, instead of the ASL's intervals (tests). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
  /** Aborts the execution (Ctrl-C): it ends ABORTED, and no further task starts. */
  readonly signal?: AbortSignal;
  /**
   * State machines that `states:startExecution.sync:2` tasks may start, by ARN: their ASL file and
   * placeholder values. The nested execution runs here, with the same clients.
   */
  readonly stateMachines?: Readonly<Record<string, LocalStateMachine>>;
  /** Where Distributed Map runs are recorded (ListMapRuns, DescribeMapRun), by Map Run ARN. */
  readonly mapRuns?: Map<string, LocalMapRun>;
  /**
   * `states:startExecution` (started, not waited for): how a nested execution is started, by the
   * local Step Functions endpoint that keeps it (src/local/sfn-server.ts) or a test.
   */
  readonly startExecution?: (start: {
    readonly StateMachineArn: string;
    readonly Input?: unknown;
    readonly Name?: string;
  }) => Promise<{ readonly executionArn: string; readonly startDate: number }>;
}

export interface LocalStateMachine {
  readonly file: string;
  readonly substitutions: Readonly<Record<string, string>>;
}

/** One entry of an execution's history, as the console shows it. */
export interface ExecutionEvent {
  /** The runner's event type: ExecutionStarted, StateEntered, StateExited, StateFailed, ... */
  readonly type: string;
  /** When it happened, in milliseconds since the epoch. */
  readonly timestamp?: number;
  readonly state?: string;
  /** The state's type (Task, Choice, Pass, ...), for events of a state. */
  readonly stateType?: string;
  readonly error?: string;
  readonly cause?: string;
  /** Execution data, as a log with `includeExecutionData` carries it: what the execution or state got. */
  readonly input?: unknown;
  /** What the execution or state produced. */
  readonly output?: unknown;
}

export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly ExecutionEvent[];
}

type TaskHandler = (input: JSONValue) => Promise<JSONValue>;

/**
 * Runs a state machine of `statemachine/` locally with aws-local-stepfunctions. Each Task state
 * is bound to the real call its resource names: `lambda:invoke` goes through the Lambda Invoke
 * API (our handlers behind the local endpoint), `aws-sdk:s3:<action>` is the real S3 SDK call.
 * Errors get the names Step Functions gives them (`Lambda.ServiceException`, a function's
 * `errorType`, `S3.NoSuchKeyException`, ...).
 */
export async function runLocalExecution(
  definitionFile: string,
  input: unknown,
  options: LocalStepFunctionsOptions,
  identity: ExecutionIdentity = localIdentity(definitionFile),
): Promise<ExecutionResult> {
  return runPrepared(loadStateMachine(definitionFile, options.substitutions), input, options, identity);
}

/**
 * Runs a definition (placeholders already filled), as the Distributed Map adapter runs a map's
 * children; `localHandlers` bind tasks of the adapter's own by state name.
 */
export async function runLocalDefinition(
  source: Record<string, unknown>,
  input: unknown,
  options: LocalStepFunctionsOptions,
  identity: ExecutionIdentity,
  localHandlers: Readonly<Record<string, TaskHandler>> = {},
): Promise<ExecutionResult> {
  return runPrepared(prepare(source), input, options, identity, localHandlers);
}

interface Prepared {
  readonly definition: StatesOf;
  readonly maps: ReturnType<typeof withLocalDistributedMaps>['maps'];
  readonly machine: StateMachine;
}

/** A definition with its Distributed Maps replaced by the documented adapter's tasks, validated once. */
function prepare(source: Record<string, unknown>): Prepared {
  const { definition, maps } = withLocalDistributedMaps(source);
  const machine = machineFor(
    JSON.stringify(definition),
    definition as unknown as ConstructorParameters<typeof StateMachine>[0],
  );
  return { definition: definition as unknown as StatesOf, maps, machine };
}

async function runPrepared(
  { definition, maps, machine }: Prepared,
  input: unknown,
  options: LocalStepFunctionsOptions,
  identity: ExecutionIdentity,
  localHandlers: Readonly<Record<string, TaskHandler>> = {},
): Promise<ExecutionResult> {
  const handlers: Record<string, TaskHandler> = Object.fromEntries(
    Object.entries(taskResources(definition))
      .filter(([, resource]) => !resource.startsWith(LOCAL_RESOURCE_PREFIX))
      .map(([state, resource]) => [state, bindTask(resource, options, identity)]),
  );
  for (const spec of maps) {
    handlers[spec.stateName] = async (config) =>
      (await runDistributedMap(spec, config as never, {
        s3: options.s3,
        executionArn: identity.executionArn,
        stateMachineArn: identity.stateMachineArn,
        ...(options.mapRuns ? { mapRuns: options.mapRuns } : {}),
        runInline: (children, childInput, childHandlers) =>
          runLocalDefinition(
            children,
            childInput,
            options,
            identity,
            childHandlers as Record<string, TaskHandler>,
          ),
      })) as JSONValue;
  }
  Object.assign(handlers, localHandlers);
  const execution = machine.run(input as JSONValue, {
    // The Context Object, as `$$.Execution.Id` and the like read it.
    context: {
      Execution: {
        Id: identity.executionArn,
        Name: identity.name,
        Input: input as JSONValue,
        StartTime: new Date().toISOString(),
      },
      StateMachine: { Id: identity.stateMachineArn, Name: identity.stateMachineArn.split(':').pop() },
    },
    overrides: {
      taskResourceLocalHandlers: handlers,
      ...(options.retryIntervalOverrides
        ? { retryIntervalOverrides: { ...options.retryIntervalOverrides } }
        : {}),
    },
  });
  const events: ExecutionEvent[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs)
      events.push(toExecutionEvent(event as unknown as RawEvent));
  })();
  const abort = () => execution.abort();
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const output = await execution.result;
    await collecting;
    return { status: 'SUCCEEDED', output, events };
  } catch (error) {
    await collecting;
    if (error instanceof ExecutionAbortedError) {
      return { status: 'ABORTED', error: 'ExecutionAborted', cause: 'the execution was stopped', events };
    }
    if (!(error instanceof ExecutionError)) throw error;
    const cause = (error as { cause?: unknown }).cause;
    return {
      status: 'FAILED',
      error: cause instanceof Error ? cause.name : error.name,
      cause: cause instanceof Error ? cause.message : error.message,
      events,
    };
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

/** Which execution a run is: its ARN and name, and its state machine's ARN. */
export interface ExecutionIdentity {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
}

const LOCAL_ACCOUNT = 'arn:aws:states:us-east-1:123456789012';

function localIdentity(definitionFile: string, name: string = crypto.randomUUID()): ExecutionIdentity {
  const machine = path.basename(definitionFile, '.asl.json');
  return {
    executionArn: `${LOCAL_ACCOUNT}:execution:${machine}:${name}`,
    stateMachineArn: `${LOCAL_ACCOUNT}:stateMachine:${machine}`,
    name,
  };
}

/** Validating a definition takes a few hundred milliseconds: each one is validated once. */
const machines = new Map<string, StateMachine>();

/**
 * An ASL file with its placeholders filled, validated (once per text). A server calls it when it
 * starts, so the first execution does not pay for the validation.
 */
export function loadStateMachine(
  definitionFile: string,
  substitutions: Readonly<Record<string, string>>,
): Prepared {
  return prepare(
    JSON.parse(
      substitute(readFileSync(definitionFile, 'utf8'), { Partition: LOCAL_PARTITION, ...substitutions }),
    ),
  );
}

/**
 * The partition of the integration ARNs (`arn:${Partition}:states:::lambda:invoke`): the local
 * runner binds the `aws` partition's, as a stack deployed there gets them.
 */
const LOCAL_PARTITION = 'aws';

function machineFor(text: string, definition: ConstructorParameters<typeof StateMachine>[0]): StateMachine {
  let machine = machines.get(text);
  if (!machine) {
    machine = new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: true } });
    machines.set(text, machine);
  }
  return machine;
}

interface RawEvent {
  type: string;
  timestamp?: number;
  state?: { name: string; type?: string; input?: unknown; output?: unknown };
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
  error?: string;
  cause?: unknown;
}

function toExecutionEvent(event: RawEvent): ExecutionEvent {
  const error = event.Error ?? event.error;
  const rawCause = event.Cause ?? event.cause;
  const cause = rawCause instanceof Error ? rawCause.message : rawCause;
  const input = event.type.endsWith('StateEntered') ? event.state?.input : event.input;
  const output = event.type.endsWith('StateExited') ? event.state?.output : event.output;
  return {
    type: event.type,
    ...(event.timestamp !== undefined ? { timestamp: event.timestamp } : {}),
    ...(event.state ? { state: event.state.name } : {}),
    ...(event.state?.type ? { stateType: event.state.type } : {}),
    ...(error ? { error } : {}),
    ...(cause !== undefined && cause !== ''
      ? { cause: typeof cause === 'string' ? cause : JSON.stringify(cause) }
      : {}),
    ...(input !== undefined ? { input } : {}),
    ...(output !== undefined ? { output } : {}),
  };
}

interface StatesOf {
  readonly States: Record<string, StateOf>;
}

interface StateOf {
  readonly Type: string;
  readonly Resource?: string;
  readonly Branches?: readonly StatesOf[];
  readonly Iterator?: StatesOf;
  readonly ItemProcessor?: StatesOf;
}

/** Every Task's resource, by state name, inside Parallel branches and Map processors too. */
function taskResources(definition: StatesOf, tasks: Record<string, string> = {}): Record<string, string> {
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task' && state.Resource) tasks[name] = state.Resource;
    for (const inner of [...(state.Branches ?? []), state.Iterator, state.ItemProcessor]) {
      if (inner) taskResources(inner, tasks);
    }
  }
  return tasks;
}

const SDK_INTEGRATION = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/;

function bindTask(
  resource: string,
  options: LocalStepFunctionsOptions,
  identity: ExecutionIdentity,
): TaskHandler {
  if (resource === 'arn:aws:states:::events:putEvents') {
    return (input) => putEvents(input as unknown as PutEventsInput, options, identity);
  }
  if (resource === 'arn:aws:states:::states:startExecution') {
    return async (input) => {
      const start = input as unknown as NestedStart;
      if (!options.startExecution) {
        throw new RemoteError(
          'StepFunctions.StateMachineDoesNotExistException',
          `State Machine Does Not Exist: '${start.StateMachineArn}' (no local startExecution binding)`,
        );
      }
      const started = await options.startExecution(start);
      return { ExecutionArn: started.executionArn, StartDate: started.startDate } as JSONValue;
    };
  }
  if (resource === 'arn:aws:states:::lambda:invoke') {
    return async (input) => {
      const { FunctionName, Payload } = input as { FunctionName: string; Payload?: unknown };
      const payload = await invoke(options.lambda, FunctionName, Payload ?? {});
      return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 } as JSONValue;
    };
  }
  if (resource === 'arn:aws:states:::states:startExecution.sync:2') {
    return (input) => startNestedExecution(input as unknown as NestedStart, options);
  }
  if (resource === 'arn:aws:states:::aws-sdk:sfn:startSyncExecution') {
    return (input) => startSyncExecution(input as unknown as NestedStart, options);
  }
  if (resource.startsWith('arn:aws:lambda:')) {
    return async (input) => (await invoke(options.lambda, resource, input)) as JSONValue;
  }
  const sdk = SDK_INTEGRATION.exec(resource);
  if (sdk?.[1] === 's3' && sdk[2]) {
    const commandName = `${sdk[2].charAt(0).toUpperCase()}${sdk[2].slice(1)}Command`;
    const Command = (s3Sdk as unknown as Record<string, new (input: unknown) => s3Sdk.HeadObjectCommand>)[
      commandName
    ];
    if (!Command) throw new Error(`no S3 SDK command ${commandName} for ${resource}`);
    return async (input) => {
      try {
        const response: object = await options.s3.send(new Command(input));
        const { $metadata: _, ...output } = response as { $metadata?: unknown };
        return output as JSONValue;
      } catch (error) {
        throw sdkError('S3', error);
      }
    };
  }
  throw new Error(`resource ${resource} has no local binding`);
}

interface PutEventsInput {
  readonly Entries: ReadonlyArray<{
    readonly Detail?: unknown;
    readonly DetailType?: string;
    readonly EventBusName?: string;
    readonly Source?: string;
    readonly Resources?: readonly string[];
  }>;
}

/**
 * The optimized `events:putEvents` integration: a Detail given as JSON is sent as its string, the
 * execution's and the state machine's ARNs are appended to each entry's Resources, and a refused
 * entry fails the task with `EventBridge.FailedEntry` (AWS's documented behaviour).
 */
async function putEvents(
  input: PutEventsInput,
  options: LocalStepFunctionsOptions,
  identity: ExecutionIdentity,
): Promise<JSONValue> {
  if (!options.eventBridge) throw new Error('events:putEvents needs the eventBridge client option');
  let response: PutEventsCommandOutput;
  try {
    response = await options.eventBridge.send(
      new PutEventsCommand({
        Entries: input.Entries.map((entry) => ({
          ...entry,
          Detail: typeof entry.Detail === 'string' ? entry.Detail : JSON.stringify(entry.Detail ?? {}),
          Resources: [...(entry.Resources ?? []), identity.executionArn, identity.stateMachineArn],
        })),
      }),
    );
  } catch (error) {
    throw sdkError('EventBridge', error);
  }
  if (response.FailedEntryCount) {
    throw new RemoteError('EventBridge.FailedEntry', JSON.stringify(response.Entries));
  }
  return { Entries: response.Entries ?? [], FailedEntryCount: 0 } as unknown as JSONValue;
}

interface NestedStart {
  readonly StateMachineArn: string;
  readonly Input?: unknown;
  readonly Name?: string;
}

/**
 * `states:startExecution.sync:2`: runs the nested state machine to its end and answers as Step
 * Functions does, with the execution's description and its output as JSON; a nested execution
 * that fails fails the task with `States.TaskFailed`, the description as cause.
 */
async function startNestedExecution(
  start: NestedStart,
  options: LocalStepFunctionsOptions,
): Promise<JSONValue> {
  const target = options.stateMachines?.[start.StateMachineArn];
  if (!target) {
    throw new RemoteError(
      'StepFunctions.StateMachineDoesNotExistException',
      `State Machine Does Not Exist: '${start.StateMachineArn}'`,
    );
  }
  const name = start.Name ?? crypto.randomUUID();
  const input = typeof start.Input === 'string' ? JSON.parse(start.Input) : (start.Input ?? {});
  const executionArn = `${start.StateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const startDate = Date.now();
  const result = await runLocalExecution(
    target.file,
    input,
    { ...options, substitutions: target.substitutions },
    { executionArn, stateMachineArn: start.StateMachineArn, name },
  );
  const description = {
    ExecutionArn: executionArn,
    StateMachineArn: start.StateMachineArn,
    Name: name,
    Input: input,
    StartDate: startDate,
    StopDate: Date.now(),
    Status: result.status,
  };
  if (result.status === 'SUCCEEDED') return { ...description, Output: result.output } as JSONValue;
  throw new RemoteError(
    'States.TaskFailed',
    JSON.stringify({ ...description, Error: result.error, Cause: result.cause }),
  );
}

/**
 * The SDK integration `aws-sdk:sfn:startSyncExecution` (an Express machine): the nested execution
 * runs here, and its end comes back as the API answers, the output as a string and a failure as
 * `Status: FAILED` with its error, not as a task error.
 */
async function startSyncExecution(
  start: NestedStart,
  options: LocalStepFunctionsOptions,
): Promise<JSONValue> {
  try {
    const description = (await startNestedExecution(start, options)) as { Output?: unknown };
    return { ...description, Output: JSON.stringify(description.Output) } as JSONValue;
  } catch (error) {
    if (!(error instanceof RemoteError) || error.name !== 'States.TaskFailed') throw error;
    return JSON.parse(error.message) as JSONValue;
  }
}

async function invoke(lambda: LambdaClient, functionName: string, payload: unknown): Promise<unknown> {
  let response: InvokeCommandOutput;
  try {
    response = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }),
    );
  } catch (error) {
    throw sdkError('Lambda', error);
  }
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : 'null';
  if (response.FunctionError) {
    // As in AWS: the task's error is the function's errorType, its cause the error payload.
    const { errorType } = JSON.parse(text) as { errorType?: string };
    throw new RemoteError(errorType ?? 'Lambda.Unknown', text);
  }
  return JSON.parse(text);
}

/** Step Functions names SDK errors `<Service>.<Name>Exception`; client-side failures `SdkClientException`. */
function sdkError(service: string, error: unknown): RemoteError {
  const failure = error instanceof Error ? error : new Error(String(error));
  const fromService =
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined;
  const name = fromService ? failure.name : 'SdkClientException';
  return new RemoteError(
    `${service}.${name.endsWith('Exception') ? name : `${name}Exception`}`,
    failure.message,
  );
}
