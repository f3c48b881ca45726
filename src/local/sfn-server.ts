import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalMapRun } from './distributed-map';
import { type ExecutionEvent, type LocalStepFunctionsOptions, runLocalExecution } from './step-functions';

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  events: readonly ExecutionEvent[];
  done: Promise<void>;
}

export interface LocalStepFunctionsServer {
  /** Endpoint for `new SFNClient({ endpoint })`. */
  readonly endpoint: string;
  /** ARN of the state machine registered for each ASL file given. */
  readonly stateMachineArns: Readonly<Record<string, string>>;
  /** Waits until every execution started so far has ended. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** A state machine registered with the local API: its ASL file, and its type (default STANDARD). */
export type LocalMachine = string | { readonly file: string; readonly type: 'STANDARD' | 'EXPRESS' };

/**
 * A stand-in for the Step Functions API on 127.0.0.1 (the AWS JSON 1.0 protocol of
 * `@aws-sdk/client-sfn`: StartExecution, StartSyncExecution, DescribeExecution, ListExecutions,
 * GetExecutionHistory, DescribeStateMachine, and for Distributed Maps ListMapRuns and
 * DescribeMapRun), executing our ASL files locally. Upload-workflow
 * clients and the CLI talk to it exactly as they would to AWS. As in AWS, an Express machine
 * keeps no executions: StartSyncExecution answers with the result, and ListExecutions refuses it.
 */
export async function startLocalStepFunctions(
  machines: Readonly<Record<string, LocalMachine>>,
  given: LocalStepFunctionsOptions,
): Promise<LocalStepFunctionsServer> {
  // Distributed Map runs are kept for ListMapRuns and DescribeMapRun; `states:startExecution`
  // tasks start executions that this endpoint keeps, as StartExecution does.
  const mapRuns = given.mapRuns ?? new Map<string, LocalMapRun>();
  const options: LocalStepFunctionsOptions = {
    ...given,
    mapRuns,
    startExecution:
      given.startExecution ??
      (async (start) => {
        const started = (await actions.StartExecution?.({
          stateMachineArn: start.StateMachineArn,
          input: typeof start.Input === 'string' ? start.Input : JSON.stringify(start.Input ?? {}),
          ...(start.Name ? { name: start.Name } : {}),
        })) as { executionArn: string; startDate: number };
        return started;
      }),
  };
  const arns = Object.fromEntries(
    Object.keys(machines).map((name) => [name, `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`]),
  );
  const registered = new Map(
    Object.entries(machines).map(([name, machine]) => [
      arns[name] as string,
      typeof machine === 'string' ? { file: machine, type: 'STANDARD' as const } : machine,
    ]),
  );
  const executions = new Map<string, Execution>();
  const machineOf = (stateMachineArn: string) => {
    const machine = registered.get(stateMachineArn);
    if (!machine) {
      throw apiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    return machine;
  };

  const actions: Record<string, (body: Record<string, unknown>) => unknown> = {
    DescribeStateMachine(body) {
      const stateMachineArn = String(body.stateMachineArn ?? '');
      const machine = machineOf(stateMachineArn);
      return {
        stateMachineArn,
        name: stateMachineArn.split(':').pop(),
        status: 'ACTIVE',
        type: machine.type,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/local`,
        creationDate: 0,
      };
    },
    async StartSyncExecution(body) {
      const stateMachineArn = String(body.stateMachineArn ?? '');
      const machine = machineOf(stateMachineArn);
      if (machine.type !== 'EXPRESS') {
        throw apiError(
          'StateMachineTypeNotSupported',
          'This operation is supported by EXPRESS state machines only',
        );
      }
      const name = typeof body.name === 'string' ? body.name : crypto.randomUUID();
      const input = typeof body.input === 'string' ? body.input : '{}';
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':express:')}:${name}:${crypto.randomUUID()}`;
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
    StartExecution(body) {
      const stateMachineArn = String(body.stateMachineArn ?? '');
      const file = machineOf(stateMachineArn).file;
      const name = typeof body.name === 'string' ? body.name : crypto.randomUUID();
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw apiError('InvalidName', `Invalid Name: '${name}'`);
      const input = typeof body.input === 'string' ? body.input : '{}';
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = executions.get(executionArn);
      if (existing) {
        // As in AWS (Standard): the same name and input while running is the same execution.
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn, startDate: existing.startDate };
        }
        throw apiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const execution: Execution = {
        executionArn,
        stateMachineArn,
        name,
        input,
        status: 'RUNNING',
        startDate: Date.now() / 1000,
        events: [],
        done: Promise.resolve(),
      };
      execution.done = runLocalExecution(file, JSON.parse(input), options, {
        executionArn,
        stateMachineArn,
        name,
      }).then(
        (result) => {
          Object.assign(execution, {
            status: result.status,
            stopDate: Date.now() / 1000,
            events: result.events,
            ...(result.status === 'SUCCEEDED' ? { output: JSON.stringify(result.output) } : {}),
            ...(result.error ? { error: result.error } : {}),
            ...(result.cause ? { cause: result.cause } : {}),
          });
        },
        (error: Error) => {
          Object.assign(execution, {
            status: 'FAILED',
            stopDate: Date.now() / 1000,
            error: error.name,
            cause: error.message,
          });
        },
      );
      executions.set(executionArn, execution);
      return { executionArn, startDate: execution.startDate };
    },
    DescribeExecution(body) {
      const execution = executions.get(String(body.executionArn ?? ''));
      if (!execution)
        throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
      const { events: _, done: __, ...description } = execution;
      return description;
    },
    ListExecutions(body) {
      if (machineOf(String(body.stateMachineArn ?? '')).type === 'EXPRESS') {
        throw apiError(
          'StateMachineTypeNotSupported',
          'This operation is not supported by EXPRESS state machines',
        );
      }
      const status = body.statusFilter;
      const list = [...executions.values()]
        .filter((e) => e.stateMachineArn === body.stateMachineArn && (!status || e.status === status))
        .sort((a, b) => b.startDate - a.startDate)
        .slice(0, typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 100)
        .map(({ executionArn, stateMachineArn, name, status: s, startDate, stopDate }) => ({
          executionArn,
          stateMachineArn,
          name,
          status: s,
          startDate,
          ...(stopDate ? { stopDate } : {}),
        }));
      return { executions: list };
    },
    ListMapRuns(body) {
      const executionArn = String(body.executionArn ?? '');
      if (!executions.has(executionArn))
        throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
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
      if (!run) throw apiError('ResourceNotFound', `Map Run Does Not Exist: '${body.mapRunArn}'`);
      return { ...run, itemCounts: { ...run.itemCounts }, executionCounts: { ...run.executionCounts } };
    },
    GetExecutionHistory(body) {
      const execution = executions.get(String(body.executionArn ?? ''));
      if (!execution)
        throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
      return {
        events: execution.events.map((event, index) => ({
          id: index + 1,
          timestamp: execution.startDate,
          type: event.type,
          ...(event.state ? { stateEnteredEventDetails: { name: event.state } } : {}),
        })),
      };
    },
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action = String(request.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
      const handler = actions[action];
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      };
      if (!handler) {
        reply(400, { __type: 'UnknownOperationException', message: `not supported locally: ${action}` });
        return;
      }
      Promise.resolve()
        .then(() => handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')))
        .then(
          (body) => reply(200, body),
          (error: Error & { type?: string }) =>
            reply(400, { __type: error.type ?? 'InvalidArn', message: error.message }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stateMachineArns: arns,
    async settled() {
      await Promise.all([...executions.values()].map((e) => e.done));
    },
    async stop() {
      await Promise.all([...executions.values()].map((e) => e.done));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function apiError(type: string, message: string): Error & { type: string } {
  return Object.assign(new Error(message), { type });
}
