import type http from 'node:http';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './object-created-event';
import { type AwsRequest, startAwsServer } from './protocol/aws-server';
import { describeError } from './protocol/json-protocol';
import { type LocalCredentials, type LocalEndpoint, newLocalCredentials } from './protocol/local-credentials';

export type LocalFunction = (event: unknown) => Promise<unknown>;

/** A service-side failure to answer with instead of running the function (fault injection). */
export interface LambdaServiceFault {
  readonly status: number;
  /** The error type AWS would send, e.g. `ServiceException` or `TooManyRequestsException`. */
  readonly type: string;
}

export interface LocalLambdaOptions {
  /** Called before each invocation; a fault it returns is sent instead of running the function. */
  readonly fault?: (functionName: string, event: unknown) => LambdaServiceFault | undefined;
  /**
   * Reserved concurrency, by function name: a synchronous invocation that would make more than
   * this many of the function's invocations run at once is throttled as AWS throttles it (HTTP
   * 429, `TooManyRequestsException`, reason `ReservedFunctionConcurrentInvocationLimitExceeded`).
   * Asynchronous invocations (`Event`) are not throttled: AWS queues them and retries throttles
   * itself; here they run at once, and count as running.
   */
  readonly concurrency?: Readonly<Record<string, number>>;
  /** 0 (the default): a free port. */
  readonly port?: number;
  /** The key pair requests must be signed with; a new random one when not given. */
  readonly credentials?: LocalCredentials;
}

/** Lambda's limit on a synchronous invocation's payload: 6 MB. */
const PAYLOAD_LIMIT = 6 * 2 ** 20;

export interface LocalLambdaServer extends LocalEndpoint {
  /** Invocations received, by function name (and alias or version, when one was named), in order. */
  readonly invocations: ReadonlyArray<{
    readonly functionName: string;
    readonly qualifier?: string;
    readonly event: unknown;
  }>;
  /** Invocations answered with 429 for the `concurrency` limit, by function name. */
  readonly throttled: Readonly<Record<string, number>>;
  /** The most invocations of each function that ran at once. */
  readonly peakConcurrency: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)(\/configuration)?\/?$/;
const LIST_PATH = /^\/2015-03-31\/functions\/?$/;

/** Lambda API routes this endpoint does not serve, by name, so a refusal says which operation it was. */
const OTHER_OPERATIONS: ReadonlyArray<readonly [string, RegExp, string]> = [
  ['POST', /^\/2014-11-13\/functions\/[^/]+\/invoke-async\/?$/, 'InvokeAsync'],
  ['POST', /^\/2015-03-31\/functions\/?$/, 'CreateFunction'],
  ['DELETE', /^\/2015-03-31\/functions\/[^/]+\/?$/, 'DeleteFunction'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/code\/?$/, 'UpdateFunctionCode'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/configuration\/?$/, 'UpdateFunctionConfiguration'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/policy\/?$/, 'GetPolicy'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/aliases\/?$/, 'ListAliases'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/versions\/?$/, 'ListVersionsByFunction'],
  ['GET', /^\/2015-03-31\/event-source-mappings\/?$/, 'ListEventSourceMappings'],
  ['GET', /^\/2016-08-19\/account-settings\/?$/, 'GetAccountSettings'],
  ['GET', /^\/2018-10-31\/layers\/?$/, 'ListLayers'],
  ['GET', /^\/2017-03-31\/tags\/.+$/, 'ListTags'],
  ['POST', /^\/2021-11-15\/functions\/[^/]+\/response-streaming-invocations$/, 'InvokeWithResponseStream'],
];

/**
 * A stand-in for the Lambda API on 127.0.0.1, running our real handlers in this process. It
 * speaks AWS's wire format (`POST /2015-03-31/functions/{name}/invocations`; a handler's error
 * comes back as `X-Amz-Function-Error: Unhandled` with `errorType` and `errorMessage`), so
 * `@aws-sdk/client-lambda` and the AWS CLI work against it unchanged. Besides Invoke it answers
 * ListFunctions, GetFunction and GetFunctionConfiguration; any other operation gets an error
 * naming it.
 */
export async function startLocalLambda(
  functions: Record<string, LocalFunction>,
  options: LocalLambdaOptions = {},
): Promise<LocalLambdaServer> {
  const invocations: Array<{ functionName: string; qualifier?: string; event: unknown }> = [];
  const running: Record<string, number> = {};
  const throttled: Record<string, number> = {};
  const peakConcurrency: Record<string, number> = {};

  const configuration = (name: string) => ({
    FunctionName: name,
    FunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`,
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    State: 'Active',
    Description: 'lambda-av-daemon, run locally by lambda-av',
  });

  function notFound(response: http.ServerResponse, name: string) {
    send(
      response,
      404,
      { 'x-amzn-errortype': 'ResourceNotFoundException' },
      {
        Type: 'User',
        message: `Function not found: ${name} (local functions: ${Object.keys(functions).join(', ')})`,
      },
    );
  }

  async function answer(request: AwsRequest, body: string, response: http.ServerResponse) {
    const { method } = request;
    const url = request.rawPath;
    const invoke = method === 'POST' ? INVOKE_PATH.exec(url) : null;
    if (!invoke) {
      const described = method === 'GET' ? FUNCTION_PATH.exec(url) : null;
      if (method === 'GET' && LIST_PATH.test(url)) {
        send(response, 200, {}, { Functions: Object.keys(functions).map(configuration) });
      } else if (described?.[1]) {
        const { name } = functionTarget(decodeURIComponent(described[1]));
        if (!functions[name]) notFound(response, name);
        else if (described[2]) send(response, 200, {}, configuration(name));
        else send(response, 200, {}, { Configuration: configuration(name) });
      } else {
        const operation = OTHER_OPERATIONS.find(([verb, path]) => verb === method && path.test(url))?.[2];
        send(
          response,
          400,
          { 'x-amzn-errortype': 'UnsupportedOperationException' },
          {
            Type: 'User',
            message: `the local Lambda endpoint of lambda-av does not support ${operation ?? `the request ${method} ${url}`}; it supports Invoke, ListFunctions, GetFunction and GetFunctionConfiguration`,
          },
        );
      }
      return;
    }
    const target = functionTarget(decodeURIComponent(invoke[1] as string));
    const { name } = target;
    const qualifier = request.query.find(([name]) => name === 'Qualifier')?.[1] ?? target.qualifier;
    const fn = functions[name];
    if (!fn) {
      notFound(response, name);
      return;
    }
    let event: unknown;
    try {
      event = body ? JSON.parse(body) : {};
    } catch {
      send(
        response,
        400,
        { 'x-amzn-errortype': 'InvalidRequestContentException' },
        { Type: 'User', message: 'Could not parse request body into json: the payload is not JSON' },
      );
      return;
    }
    const invocationType = request.headers.get('x-amz-invocation-type');
    if (invocationType === 'DryRun') {
      send(response, 204, {}, undefined);
      return;
    }
    const limit = options.concurrency?.[name];
    if (limit !== undefined && invocationType !== 'Event' && (running[name] ?? 0) >= limit) {
      throttled[name] = (throttled[name] ?? 0) + 1;
      // As Lambda answers a function at its reserved concurrency: the SDK raises
      // TooManyRequestsException with this Reason, and Step Functions names it Lambda.TooManyRequestsException.
      send(
        response,
        429,
        { 'x-amzn-errortype': 'TooManyRequestsException' },
        {
          Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
          Type: 'User',
          message: 'Rate Exceeded.',
        },
      );
      return;
    }
    invocations.push({ functionName: name, ...(qualifier ? { qualifier } : {}), event });
    const fault = options.fault?.(name, event);
    if (fault) {
      send(response, fault.status, { 'x-amzn-errortype': fault.type }, { message: `injected ${fault.type}` });
      return;
    }
    running[name] = (running[name] ?? 0) + 1;
    peakConcurrency[name] = Math.max(peakConcurrency[name] ?? 0, running[name]);
    const run = (async () => fn(event))().finally(() => {
      running[name] = (running[name] ?? 1) - 1;
    });
    if (invocationType === 'Event') {
      run.catch(() => undefined);
      send(response, 202, {}, undefined);
      return;
    }
    try {
      send(response, 200, { 'x-amz-executed-version': '$LATEST' }, (await run) ?? null);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      send(
        response,
        200,
        { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
        { errorType: failure.name, errorMessage: failure.message, trace: [] },
      );
    }
  }

  const credentials = options.credentials ?? newLocalCredentials();
  const server = await startAwsServer({
    service: 'lambda',
    credentials,
    ...(options.port !== undefined ? { port: options.port } : {}),
    body: { kind: 'buffered', limit: PAYLOAD_LIMIT },
    sendError: (response, error) => {
      const { status, type, message } = describeError(error);
      send(response, status, { 'x-amzn-errortype': type }, { Type: 'User', message });
    },
    handle: (request, body, response) => answer(request, body.toString('utf8'), response),
  });
  return {
    endpoint: server.endpoint,
    credentials,
    invocations,
    throttled,
    peakConcurrency,
    stop: () => server.stop(),
  };
}

/** A Lambda client for a local endpoint: one attempt, so the state machine's Retry is what retries. */
export function localLambdaClient(server: LocalEndpoint): LambdaClient {
  return new LambdaClient({
    endpoint: server.endpoint,
    region: LOCAL_REGION,
    credentials: server.credentials,
    maxAttempts: 1,
  });
}

/**
 * A FunctionName as Lambda takes it: `name`, `name:qualifier`, or an ARN
 * `arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]`.
 */
function functionTarget(value: string): { name: string; qualifier?: string } {
  const parts = value.startsWith('arn:') ? value.split(':').slice(6) : value.split(':');
  const [name = '', qualifier] = parts;
  return qualifier ? { name, qualifier } : { name };
}

function send(response: http.ServerResponse, status: number, headers: Record<string, string>, body: unknown) {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}
