import http from 'node:http';
import type { AddressInfo } from 'node:net';

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
}

export interface LocalLambdaServer {
  /** Endpoint for `new LambdaClient({ endpoint })`. */
  readonly endpoint: string;
  /** Invocations received, by function name (and alias or version, when one was named), in order. */
  readonly invocations: ReadonlyArray<{
    readonly functionName: string;
    readonly qualifier?: string;
    readonly event: unknown;
  }>;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * A stand-in for the Lambda Invoke API on 127.0.0.1, running our real handlers in this process.
 * It speaks the same wire format as AWS (`POST /2015-03-31/functions/{name}/invocations`; a
 * handler's error comes back as `X-Amz-Function-Error: Unhandled` with `errorType` and
 * `errorMessage`), so `@aws-sdk/client-lambda` works against it unchanged.
 */
export async function startLocalLambda(
  functions: Record<string, LocalFunction>,
  options: LocalLambdaOptions = {},
): Promise<LocalLambdaServer> {
  const invocations: Array<{ functionName: string; qualifier?: string; event: unknown }> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void answer(request, Buffer.concat(chunks).toString('utf8'), response);
    });
  });

  async function answer(request: http.IncomingMessage, body: string, response: http.ServerResponse) {
    const [pathname = '', query = ''] = (request.url ?? '').split('?');
    const match = request.method === 'POST' ? INVOKE_PATH.exec(pathname) : null;
    const target = match?.[1] ? functionTarget(decodeURIComponent(match[1])) : undefined;
    const name = target?.name;
    const qualifier = new URLSearchParams(query).get('Qualifier') ?? target?.qualifier;
    const fn = name === undefined ? undefined : functions[name];
    if (!name || !fn) {
      send(
        response,
        404,
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
        {
          message: `Function not found: ${name ?? request.url}`,
        },
      );
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
        { message: 'payload is not JSON' },
      );
      return;
    }
    invocations.push({ functionName: name, ...(qualifier ? { qualifier } : {}), event });
    const fault = options.fault?.(name, event);
    if (fault) {
      send(response, fault.status, { 'x-amzn-errortype': fault.type }, { message: `injected ${fault.type}` });
      return;
    }
    const asynchronous = request.headers['x-amz-invocation-type'] === 'Event';
    const run = fn(event);
    if (asynchronous) {
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

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
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
