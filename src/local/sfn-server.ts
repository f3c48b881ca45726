import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient } from '@aws-sdk/client-sfn';
import { LocalServiceError } from '../errors';
import { awsErrorBody } from './aws-json';
import type { LocalMapRun } from './distributed-map';
import { awsHistoryEvents } from './execution-history';
import type { ExecutionRecord, ExecutionStore } from './execution-store';
import { keepConnectionsAlive } from './keep-alive';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './object-created-event';
import { type LocalStepFunctionsOptions, loadStateMachine, runLocalExecution } from './step-functions';

export interface LocalStepFunctionsServer {
  /** Endpoint for `new SFNClient({ endpoint })`. */
  readonly endpoint: string;
  /** ARN of the state machine registered for each ASL file given. */
  readonly stateMachineArns: Readonly<Record<string, string>>;
  /** Starts an execution, as StartExecution does (the way the local EventBridge rule starts scans). */
  startExecution(stateMachineArn: string, input: string, name?: string): { executionArn: string };
  /** Every execution known, most recent first. */
  executions(): readonly ExecutionRecord[];
  /** Waits until every execution started so far has ended. */
  settled(): Promise<void>;
  /** Stops the server; with `abort`, executions still running end ABORTED instead of being waited for. */
  stop(options?: { readonly abort?: boolean }): Promise<void>;
}

export interface LocalStepFunctionsServerOptions extends Omit<LocalStepFunctionsOptions, 'signal'> {
  /** 0 (the default): a free port. */
  readonly port?: number;
  /** Keeps finished executions across restarts (`lambda-av serve --data-dir`). */
  readonly store?: ExecutionStore;
  /** Called when an execution ends, however it ended. */
  readonly onExecutionEnded?: (execution: ExecutionRecord) => void;
}

/** A state machine registered with the local API: its ASL file, and its type (default STANDARD). */
export type LocalMachine = string | { readonly file: string; readonly type: 'STANDARD' | 'EXPRESS' };

/** The operations this endpoint answers; anything else is refused by name, never left hanging. */
const SUPPORTED = [
  'StartExecution',
  'StartSyncExecution',
  'DescribeExecution',
  'StopExecution',
  'ListExecutions',
  'GetExecutionHistory',
  'ListStateMachines',
  'DescribeStateMachine',
  'ListMapRuns',
  'DescribeMapRun',
] as const;

interface Running {
  readonly done: Promise<void>;
  readonly abort: AbortController;
}

/**
 * A stand-in for the Step Functions API on 127.0.0.1 (the AWS JSON 1.0 protocol that
 * `@aws-sdk/client-sfn` and the AWS CLI speak), executing our ASL files locally. Upload-workflow
 * clients, the AWS CLI and `lambda-av history` talk to it exactly as they would to AWS. As in
 * AWS, an Express machine keeps no executions: StartSyncExecution answers with the result, and
 * ListExecutions refuses it.
 */
export async function startLocalStepFunctions(
  machines: Readonly<Record<string, LocalMachine>>,
  options: LocalStepFunctionsServerOptions,
): Promise<LocalStepFunctionsServer> {
  const arns = Object.fromEntries(
    Object.keys(machines).map((name) => [
      name,
      `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`,
    ]),
  );
  const registered = new Map(
    Object.entries(machines).map(([name, machine]) => [
      arns[name] as string,
      typeof machine === 'string' ? { file: machine, type: 'STANDARD' as const } : machine,
    ]),
  );
  for (const { file } of registered.values()) loadStateMachine(file, options.substitutions);
  const machineOf = (stateMachineArn: string) => {
    const machine = registered.get(stateMachineArn);
    if (!machine) {
      throw new LocalServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    }
    return machine;
  };
  const executions = new Map<string, ExecutionRecord>();
  for (const record of options.store?.load() ?? []) executions.set(record.executionArn, record);
  // Distributed Map runs are kept for ListMapRuns and DescribeMapRun; `states:startExecution`
  // tasks (a rescan after an update) start executions this endpoint keeps, as StartExecution does.
  const mapRuns = options.mapRuns ?? new Map<string, LocalMapRun>();
  const runOptions = (signal: AbortSignal): LocalStepFunctionsOptions => ({
    ...options,
    signal,
    mapRuns,
    startExecution:
      options.startExecution ??
      (async (request) => {
        const { executionArn, existing } = start(
          request.StateMachineArn,
          typeof request.Input === 'string' ? request.Input : JSON.stringify(request.Input ?? {}),
          request.Name,
        );
        return { executionArn, startDate: existing.startDate / 1000 };
      }),
  });
  const running = new Map<string, Running>();

  function start(stateMachineArn: string, input: string, requestedName?: string) {
    const { file } = machineOf(stateMachineArn);
    const name = requestedName ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
      throw new LocalServiceError('InvalidName', `Invalid Name: '${name}'`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new LocalServiceError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${input}'`,
      );
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = executions.get(executionArn);
    if (existing) {
      // As in AWS (Standard): the same name and input while running is the same execution.
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn, existing };
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
    executions.set(executionArn, record);
    const abort = new AbortController();
    const done = runLocalExecution(file, parsed, runOptions(abort.signal), {
      executionArn,
      stateMachineArn,
      name,
    })
      .then(
        (result) => {
          Object.assign(record, {
            status: result.status,
            stopDate: Date.now(),
            events: result.events,
            ...(result.status === 'SUCCEEDED' ? { output: JSON.stringify(result.output) } : {}),
            ...(result.error ? { error: result.error } : {}),
            ...(result.cause ? { cause: result.cause } : {}),
          });
        },
        (error: Error) => {
          Object.assign(record, {
            status: 'FAILED',
            stopDate: Date.now(),
            error: error.name,
            cause: error.message,
          });
        },
      )
      .then(() => {
        running.delete(executionArn);
        options.store?.save(record);
        options.onExecutionEnded?.(record);
      });
    running.set(executionArn, { done, abort });
    return { executionArn, existing: record };
  }

  function find(executionArn: unknown): ExecutionRecord {
    const execution = executions.get(String(executionArn ?? ''));
    if (!execution)
      throw new LocalServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

  const actions: Record<(typeof SUPPORTED)[number], (body: Record<string, unknown>) => unknown> = {
    StartExecution(body) {
      const { executionArn, existing } = start(
        String(body.stateMachineArn ?? ''),
        typeof body.input === 'string' ? body.input : '{}',
        typeof body.name === 'string' ? body.name : undefined,
      );
      return { executionArn, startDate: seconds(existing.startDate) };
    },
    DescribeExecution(body) {
      const { events: _, startDate, stopDate, ...description } = find(body.executionArn);
      return { ...description, startDate: seconds(startDate), stopDate: seconds(stopDate) };
    },
    StopExecution(body) {
      const execution = find(body.executionArn);
      running.get(execution.executionArn)?.abort.abort();
      return { stopDate: seconds(Date.now()) };
    },
    ListExecutions(body) {
      if (machineOf(String(body.stateMachineArn ?? '')).type === 'EXPRESS') {
        throw new LocalServiceError(
          'StateMachineTypeNotSupported',
          'This operation is not supported by EXPRESS state machines',
        );
      }
      const status = body.statusFilter;
      const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 100;
      const list = sorted()
        .filter((e) => e.stateMachineArn === body.stateMachineArn && (!status || e.status === status))
        .slice(0, max)
        .map(({ executionArn, stateMachineArn, name, status: s, startDate, stopDate }) => ({
          executionArn,
          stateMachineArn,
          name,
          status: s,
          startDate: seconds(startDate),
          ...(stopDate ? { stopDate: seconds(stopDate) } : {}),
        }));
      return { executions: list };
    },
    GetExecutionHistory(body) {
      const execution = find(body.executionArn);
      const events = awsHistoryEvents(execution);
      return { events: body.reverseOrder === true ? events.reverse() : events };
    },
    // An Express machine runs to its end within the request and keeps no execution, as in AWS.
    async StartSyncExecution(body) {
      const stateMachineArn = String(body.stateMachineArn ?? '');
      const machine = machineOf(stateMachineArn);
      if (machine.type !== 'EXPRESS') {
        throw new LocalServiceError(
          'StateMachineTypeNotSupported',
          'This operation is supported by EXPRESS state machines only',
        );
      }
      const name = typeof body.name === 'string' ? body.name : randomUUID();
      const input = typeof body.input === 'string' ? body.input : '{}';
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`;
      const startDate = Date.now() / 1000;
      const result = await runLocalExecution(machine.file, JSON.parse(input), options, {
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
    },
    ListStateMachines() {
      return {
        stateMachines: [...registered].map(([stateMachineArn, machine]) => ({
          stateMachineArn,
          name: stateMachineArn.split(':').pop(),
          type: machine.type,
          creationDate: 0,
        })),
      };
    },
    DescribeStateMachine(body) {
      const stateMachineArn = String(body.stateMachineArn ?? '');
      const machine = machineOf(stateMachineArn);
      return {
        stateMachineArn,
        name: stateMachineArn.split(':').pop(),
        status: 'ACTIVE',
        definition: readFileSync(machine.file, 'utf8'),
        roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/lambda-av-local`,
        type: machine.type,
        creationDate: 0,
      };
    },
    ListMapRuns(body) {
      const executionArn = String(body.executionArn ?? '');
      find(executionArn);
      return {
        mapRuns: [...mapRuns.values()]
          .filter((run) => run.executionArn === executionArn)
          .map(({ mapRunArn, startDate, stopDate }) => ({
            executionArn,
            mapRunArn,
            stateMachineArn: mapRunArn.replace(':mapRun:', ':stateMachine:').replace(/:[^:]*$/, ''),
            startDate,
            ...(stopDate ? { stopDate } : {}),
          })),
      };
    },
    DescribeMapRun(body) {
      const run = mapRuns.get(String(body.mapRunArn ?? ''));
      if (!run)
        throw new LocalServiceError('ResourceNotFound', `Map Run Does Not Exist: '${body.mapRunArn}'`);
      return { ...run, itemCounts: { ...run.itemCounts }, executionCounts: { ...run.executionCounts } };
    },
  };

  const sorted = () => [...executions.values()].sort((a, b) => b.startDate - a.startDate);

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      };
      const target = String(request.headers['x-amz-target'] ?? '');
      const action = target.replace(/^AWSStepFunctions\./, '');
      if (!(SUPPORTED as readonly string[]).includes(action)) {
        reply(400, {
          __type: 'UnknownOperationException',
          message: target
            ? `the local Step Functions endpoint of lambda-av does not support ${action}; it supports ${SUPPORTED.join(', ')}`
            : `not a Step Functions API request (no X-Amz-Target header): ${request.method} ${request.url}`,
        });
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        reply(400, { __type: 'SerializationException', message: `${action}: the request body is not JSON` });
        return;
      }
      Promise.resolve()
        .then(() => actions[action as (typeof SUPPORTED)[number]](body))
        .then(
          (answer) => reply(200, answer),
          (error: unknown) => reply(400, awsErrorBody(error, 'InvalidArn')),
        );
    });
  });
  keepConnectionsAlive(server);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const inFlight = () => [...running.values()].map((r) => r.done);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stateMachineArns: arns,
    startExecution: (stateMachineArn, input, name) => ({
      executionArn: start(stateMachineArn, input, name).executionArn,
    }),
    executions: sorted,
    async settled() {
      while (running.size > 0) await Promise.all(inFlight());
    },
    async stop(stopOptions = {}) {
      if (stopOptions.abort) for (const { abort } of running.values()) abort.abort();
      await Promise.all(inFlight());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A Step Functions client for the local endpoint. Without the `sync-` host prefix AWS puts on
 * StartSyncExecution, which a custom endpoint does not have.
 */
export function localSfnClient(endpoint: string): SFNClient {
  return new SFNClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    disableHostPrefix: true,
  });
}
