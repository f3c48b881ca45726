import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

/**
 * A stand-in for the Step Functions API on 127.0.0.1 (the AWS JSON 1.0 protocol of
 * `@aws-sdk/client-sfn`: StartExecution, DescribeExecution, ListExecutions,
 * GetExecutionHistory), executing our ASL files locally. Upload-workflow clients and the CLI
 * talk to it exactly as they would to AWS.
 */
export async function startLocalStepFunctions(
  machines: Readonly<Record<string, string>>,
  options: LocalStepFunctionsOptions,
): Promise<LocalStepFunctionsServer> {
  const arns = Object.fromEntries(
    Object.keys(machines).map((name) => [name, `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`]),
  );
  const files = new Map(Object.entries(machines).map(([name, file]) => [arns[name] as string, file]));
  const executions = new Map<string, Execution>();

  const actions: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution(body) {
      const stateMachineArn = String(body.stateMachineArn ?? '');
      const file = files.get(stateMachineArn);
      if (!file)
        throw apiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
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
      try {
        reply(200, handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
      } catch (error) {
        const failure = error as Error & { type?: string };
        reply(400, { __type: failure.type ?? 'InvalidArn', message: failure.message });
      }
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
