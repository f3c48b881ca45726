import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { LocalServiceError } from '../errors';
import type { LocalMapRun } from './distributed-map';
import { awsHistoryEvents } from './execution-history';
import type { ExecutionRecord, ExecutionStore } from './execution-store';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './object-created-event';
import { type JsonObject, startJsonServer } from './protocol/json-protocol';
import { type LocalCredentials, type LocalEndpoint, newLocalCredentials } from './protocol/local-credentials';
import { type LocalStepFunctionsOptions, loadStateMachine, runLocalExecution } from './step-functions';

export interface LocalStepFunctionsServer extends LocalEndpoint {
  /** ARN of the state machine registered for each ASL file given. */
  readonly stateMachineArns: Readonly<Record<string, string>>;
  /** Starts an execution, as StartExecution does (the way the local EventBridge rule starts scans). */
  startExecution(stateMachineArn: string, input: string, name?: string): { executionArn: string };
  /** Every execution known, most recent first. */
  executions(): readonly ExecutionRecord[];
  /** Executions that were running when the previous server died (loaded FAILED from the store). */
  readonly interrupted: readonly ExecutionRecord[];
  /** Waits until every execution started so far has ended. */
  settled(): Promise<void>;
  /** Stops the server; with `abort`, executions still running end ABORTED instead of being waited for. */
  stop(options?: { readonly abort?: boolean }): Promise<void>;
}

export interface LocalStepFunctionsServerOptions extends Omit<LocalStepFunctionsOptions, 'signal'> {
  /** 0 (the default): a free port. */
  readonly port?: number;
  /** The key pair requests must be signed with; a new random one when not given. */
  readonly credentials?: LocalCredentials;
  /** Keeps executions across restarts (`lambda-av serve --data-dir`). */
  readonly store?: ExecutionStore;
  /** Called when an execution ends, however it ended. */
  readonly onExecutionEnded?: (execution: ExecutionRecord) => void;
}

/** A state machine registered with the local API: its ASL file, and its type (default STANDARD). */
export type LocalMachine = string | { readonly file: string; readonly type: 'STANDARD' | 'EXPRESS' };

/** AWS's limit on an execution's input: 256 KiB of UTF-8. */
const MAX_INPUT_BYTES = 262_144;
/** ListExecutions: AWS's default page, and its largest. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
/** What AWS refuses in an execution name: whitespace, brackets, wildcards, specials, control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what AWS refuses
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/**
 * A stand-in for the Step Functions API on 127.0.0.1 (the AWS JSON 1.0 protocol that
 * `@aws-sdk/client-sfn` and the AWS CLI speak), executing our ASL files locally. Upload-workflow
 * clients, the AWS CLI and `lambda-av history` talk to it exactly as they would to AWS, and meet
 * the errors AWS gives (a non-string input, an input over 256 KiB, a bad name, page size or
 * token). As in AWS, an Express machine keeps no executions: StartSyncExecution answers with the
 * result, and ListExecutions refuses it.
 */
export async function startLocalStepFunctions(
  machines: Readonly<Record<string, LocalMachine>>,
  options: LocalStepFunctionsServerOptions,
): Promise<LocalStepFunctionsServer> {
  const registry = new MachineRegistry(machines, options.substitutions);
  const table = new ExecutionTable(registry, options);
  const credentials = options.credentials ?? newLocalCredentials();
  const server = await startJsonServer(
    {
      targetPrefix: 'AWSStepFunctions',
      version: '1.0',
      label: 'the local Step Functions endpoint of lambda-av',
      operations: new StepFunctionsApi(registry, table, options).operations(),
    },
    { service: 'states', credentials, ...(options.port !== undefined ? { port: options.port } : {}) },
  );
  return {
    endpoint: server.endpoint,
    credentials,
    stateMachineArns: registry.arns,
    startExecution: (stateMachineArn, input, name) => ({
      executionArn: table.start(stateMachineArn, input, name).executionArn,
    }),
    executions: () => table.sorted(),
    interrupted: table.interrupted,
    settled: () => table.settled(),
    async stop(stopOptions = {}) {
      if (stopOptions.abort) table.abortAll();
      await table.settled();
      await server.stop();
    },
  };
}

/** The state machines the endpoint knows, by ARN, each validated once when registered. */
class MachineRegistry {
  readonly arns: Readonly<Record<string, string>>;
  private readonly machines: ReadonlyMap<string, { file: string; type: 'STANDARD' | 'EXPRESS' }>;

  constructor(
    machines: Readonly<Record<string, LocalMachine>>,
    substitutions: Readonly<Record<string, string>>,
  ) {
    this.arns = Object.fromEntries(
      Object.keys(machines).map((name) => [
        name,
        `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`,
      ]),
    );
    this.machines = new Map(
      Object.entries(machines).map(([name, machine]) => [
        this.arns[name] as string,
        typeof machine === 'string' ? { file: machine, type: 'STANDARD' as const } : machine,
      ]),
    );
    for (const { file } of this.machines.values()) loadStateMachine(file, substitutions);
  }

  get(stateMachineArn: string): { file: string; type: 'STANDARD' | 'EXPRESS' } {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) {
      throw new LocalServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    }
    return machine;
  }

  entries(): Array<[string, { file: string; type: 'STANDARD' | 'EXPRESS' }]> {
    return [...this.machines];
  }
}

interface Running {
  readonly done: Promise<void>;
  readonly abort: AbortController;
}

/**
 * The executions: those loaded from the store and those started here, each recorded RUNNING when
 * it starts (so a crash leaves a trace) and again when it ends.
 */
class ExecutionTable {
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Running>();
  readonly interrupted: readonly ExecutionRecord[];
  /** Distributed Map runs, kept for ListMapRuns and DescribeMapRun. */
  readonly mapRuns: Map<string, LocalMapRun>;

  constructor(
    private readonly registry: MachineRegistry,
    private readonly options: LocalStepFunctionsServerOptions,
  ) {
    const loaded = options.store?.load() ?? { records: [], interrupted: [] };
    for (const record of loaded.records) this.executions.set(record.executionArn, record);
    this.interrupted = loaded.interrupted;
    this.mapRuns = options.mapRuns ?? new Map<string, LocalMapRun>();
  }

  /** StartExecution's rules: a valid name and JSON input; the same name and input while running is the same execution. */
  start(
    stateMachineArn: string,
    input: string,
    requestedName?: string,
  ): { executionArn: string; record: ExecutionRecord } {
    const { file } = this.registry.get(stateMachineArn);
    const name = requestedName ?? randomUUID();
    if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name)) {
      throw new LocalServiceError('InvalidName', `Invalid Name: '${name}'`);
    }
    const parsed = parseExecutionInput(input);
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input)
        return { executionArn, record: existing };
      throw new LocalServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now(),
      events: [],
    };
    this.executions.set(executionArn, record);
    this.options.store?.save(record);
    const abort = new AbortController();
    const done = runLocalExecution(file, parsed, this.runOptions(abort.signal), {
      executionArn,
      stateMachineArn,
      name,
    })
      .then(
        (result) =>
          Object.assign(record, {
            status: result.status,
            stopDate: Date.now(),
            events: result.events,
            ...(result.status === 'SUCCEEDED' ? { output: JSON.stringify(result.output) } : {}),
            ...(result.error ? { error: result.error } : {}),
            ...(result.cause ? { cause: result.cause } : {}),
          }),
        (error: Error) =>
          Object.assign(record, {
            status: 'FAILED',
            stopDate: Date.now(),
            error: error.name,
            cause: error.message,
          }),
      )
      .then(() => {
        this.running.delete(executionArn);
        this.options.store?.save(record);
        this.options.onExecutionEnded?.(record);
      });
    this.running.set(executionArn, { done, abort });
    return { executionArn, record };
  }

  /** How executions run: the server's clients, and nested `states:startExecution` tasks kept here. */
  runOptions(signal: AbortSignal): LocalStepFunctionsOptions {
    return {
      ...this.options,
      signal,
      mapRuns: this.mapRuns,
      startExecution:
        this.options.startExecution ??
        (async (request) => {
          const { executionArn, record } = this.start(
            request.StateMachineArn,
            typeof request.Input === 'string' ? request.Input : JSON.stringify(request.Input ?? {}),
            request.Name,
          );
          return { executionArn, startDate: record.startDate / 1000 };
        }),
    };
  }

  find(executionArn: unknown): ExecutionRecord {
    const execution = this.executions.get(String(executionArn ?? ''));
    if (!execution)
      throw new LocalServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  stop(executionArn: string): void {
    this.running.get(executionArn)?.abort.abort();
  }

  /** Most recent first. */
  sorted(): ExecutionRecord[] {
    return [...this.executions.values()].sort((a, b) => b.startDate - a.startDate);
  }

  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  abortAll(): void {
    for (const { abort } of this.running.values()) abort.abort();
  }
}

/** An execution's input: a JSON text of at most 256 KiB. */
function parseExecutionInput(input: string): unknown {
  if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) {
    throw new LocalServiceError(
      'ValidationException',
      `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_BYTES}`,
    );
  }
  try {
    return JSON.parse(input);
  } catch {
    throw new LocalServiceError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: '${input.slice(0, 200)}'`,
    );
  }
}

/** A field of a request as the API's model types it: wrong JSON types are a SerializationException, as in AWS. */
function field(
  body: JsonObject,
  name: string,
  type: 'string' | 'number' | 'boolean',
): string | number | boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) {
    throw new LocalServiceError(
      'SerializationException',
      `${name} must be a ${type}, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value as string | number | boolean;
}

function requiredString(body: JsonObject, name: string): string {
  const value = field(body, name, 'string');
  if (value === undefined) {
    throw new LocalServiceError(
      'ValidationException',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value as string;
}

function optionalString(body: JsonObject, name: string): string | undefined {
  return field(body, name, 'string') as string | undefined;
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** ListExecutions' pages: maxResults 0 (the default, 100) to 1000, and a token naming where the last page ended. */
function page<T>(items: readonly T[], body: JsonObject): { items: T[]; nextToken?: string } {
  const maxResults = field(body, 'maxResults', 'number') as number | undefined;
  if (
    maxResults !== undefined &&
    (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > MAX_PAGE)
  ) {
    throw new LocalServiceError(
      'ValidationException',
      `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and ${MAX_PAGE}`,
    );
  }
  const size = maxResults || DEFAULT_PAGE;
  const token = optionalString(body, 'nextToken');
  let start = 0;
  if (token !== undefined) {
    const match = /^lambda-av:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!match) throw new LocalServiceError('InvalidToken', `Invalid Token: '${token}'`);
    start = Number(match[1]);
  }
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(`lambda-av:${end}`).toString('base64url') } : {}),
  };
}

/**
 * The operations the endpoint answers, one method each, named as the API names them (anything
 * else is refused by name): the start of an execution, its description, its stop, the listings,
 * the history, Express executions, the state machines and the Map Runs.
 */
class StepFunctionsApi {
  constructor(
    private readonly registry: MachineRegistry,
    private readonly table: ExecutionTable,
    private readonly options: LocalStepFunctionsServerOptions,
  ) {}

  /** The operations by name, for the JSON protocol's dispatch. */
  operations(): Record<string, (body: JsonObject) => unknown> {
    const names = [
      'StartExecution',
      'DescribeExecution',
      'StopExecution',
      'ListExecutions',
      'GetExecutionHistory',
      'StartSyncExecution',
      'ListStateMachines',
      'DescribeStateMachine',
      'ListMapRuns',
      'DescribeMapRun',
    ] as const;
    return Object.fromEntries(names.map((name) => [name, (body: JsonObject) => this[name](body)]));
  }

  StartExecution(body: JsonObject) {
    const { executionArn, record } = this.table.start(
      requiredString(body, 'stateMachineArn'),
      optionalString(body, 'input') ?? '{}',
      optionalString(body, 'name'),
    );
    return { executionArn, startDate: seconds(record.startDate) };
  }

  DescribeExecution(body: JsonObject) {
    const {
      events: _,
      startDate,
      stopDate,
      ...description
    } = this.table.find(requiredString(body, 'executionArn'));
    return { ...description, startDate: seconds(startDate), stopDate: seconds(stopDate) };
  }

  StopExecution(body: JsonObject) {
    const execution = this.table.find(requiredString(body, 'executionArn'));
    this.table.stop(execution.executionArn);
    return { stopDate: seconds(Date.now()) };
  }

  ListExecutions(body: JsonObject) {
    const stateMachineArn = requiredString(body, 'stateMachineArn');
    if (this.registry.get(stateMachineArn).type === 'EXPRESS') {
      throw new LocalServiceError(
        'StateMachineTypeNotSupported',
        'This operation is not supported by EXPRESS state machines',
      );
    }
    const status = optionalString(body, 'statusFilter');
    const matching = this.table
      .sorted()
      .filter(
        (execution) =>
          execution.stateMachineArn === stateMachineArn && (!status || execution.status === status),
      );
    const { items, nextToken } = page(matching, body);
    return {
      executions: items.map(({ executionArn, name, status: s, startDate, stopDate }) => ({
        executionArn,
        stateMachineArn,
        name,
        status: s,
        startDate: seconds(startDate),
        ...(stopDate ? { stopDate: seconds(stopDate) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  GetExecutionHistory(body: JsonObject) {
    const events = awsHistoryEvents(this.table.find(requiredString(body, 'executionArn')));
    const ordered = field(body, 'reverseOrder', 'boolean') === true ? events.reverse() : events;
    const { items, nextToken } = page(ordered, body);
    return { events: items, ...(nextToken ? { nextToken } : {}) };
  }

  /** An Express machine runs to its end within the request and keeps no execution, as in AWS. */
  async StartSyncExecution(body: JsonObject) {
    const stateMachineArn = requiredString(body, 'stateMachineArn');
    const machine = this.registry.get(stateMachineArn);
    if (machine.type !== 'EXPRESS') {
      throw new LocalServiceError(
        'StateMachineTypeNotSupported',
        'This operation is supported by EXPRESS state machines only',
      );
    }
    const name = optionalString(body, 'name') ?? randomUUID();
    const input = optionalString(body, 'input') ?? '{}';
    const parsed = parseExecutionInput(input);
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`;
    const startDate = Date.now() / 1000;
    const result = await runLocalExecution(machine.file, parsed, this.options, {
      executionArn,
      stateMachineArn,
      name,
    });
    return {
      executionArn,
      stateMachineArn,
      name,
      startDate,
      stopDate: Date.now() / 1000,
      status: result.status,
      input,
      ...(result.status === 'SUCCEEDED' ? { output: JSON.stringify(result.output) } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.cause ? { cause: result.cause } : {}),
    };
  }

  ListStateMachines() {
    return {
      stateMachines: this.registry.entries().map(([stateMachineArn, machine]) => ({
        stateMachineArn,
        name: stateMachineArn.split(':').pop(),
        type: machine.type,
        creationDate: 0,
      })),
    };
  }

  DescribeStateMachine(body: JsonObject) {
    const stateMachineArn = requiredString(body, 'stateMachineArn');
    const machine = this.registry.get(stateMachineArn);
    return {
      stateMachineArn,
      name: stateMachineArn.split(':').pop(),
      status: 'ACTIVE',
      definition: readFileSync(machine.file, 'utf8'),
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/lambda-av-local`,
      type: machine.type,
      creationDate: 0,
    };
  }

  ListMapRuns(body: JsonObject) {
    const executionArn = requiredString(body, 'executionArn');
    this.table.find(executionArn);
    return {
      mapRuns: [...this.table.mapRuns.values()]
        .filter((run) => run.executionArn === executionArn)
        .map(({ mapRunArn, startDate, stopDate }) => ({
          executionArn,
          mapRunArn,
          stateMachineArn: mapRunArn.replace(':mapRun:', ':stateMachine:').replace(/:[^:]*$/, ''),
          startDate,
          ...(stopDate ? { stopDate } : {}),
        })),
    };
  }

  DescribeMapRun(body: JsonObject) {
    const mapRunArn = requiredString(body, 'mapRunArn');
    const run = this.table.mapRuns.get(mapRunArn);
    if (!run) throw new LocalServiceError('ResourceNotFound', `Map Run Does Not Exist: '${mapRunArn}'`);
    return { ...run, itemCounts: { ...run.itemCounts }, executionCounts: { ...run.executionCounts } };
  }
}

/**
 * A Step Functions client for a local endpoint. Without the `sync-` host prefix AWS puts on
 * StartSyncExecution, which a custom endpoint does not have.
 */
export function localSfnClient(server: LocalEndpoint): SFNClient {
  return new SFNClient({
    endpoint: server.endpoint,
    region: LOCAL_REGION,
    credentials: server.credentials,
    disableHostPrefix: true,
  });
}
