import type http from 'node:http';
import { LocalServiceError } from '../../errors';
import { type AwsServer, startAwsServer } from './aws-server';
import type { LocalCredentials } from './local-credentials';
import { RequestRefusal } from './refusal';

export type JsonObject = Record<string, unknown>;

/** A service that speaks AWS's JSON protocol: `POST /`, the operation in `X-Amz-Target`. */
export interface JsonService {
  /** `AWSStepFunctions`, `GraniteServiceVersion20100801`, `AmazonSQS`, `AWSEvents`. */
  readonly targetPrefix: string;
  readonly version: '1.0' | '1.1';
  /** Who answers, for error messages: `the local Step Functions endpoint of lambda-av`. */
  readonly label: string;
  /** Each operation, by name, from its input to its output (a promise of it, or a LocalServiceError). */
  readonly operations: Readonly<Record<string, (input: JsonObject) => unknown>>;
}

export interface JsonServerOptions {
  readonly service: string;
  readonly credentials: LocalCredentials;
  readonly port?: number;
  /** The largest body accepted; AWS's own request limits are smaller than the default 8 MiB. */
  readonly bodyLimit?: number;
  /** Called with each request's operation name before it runs (tests count requests with it). */
  readonly onRequest?: (operation: string) => void;
}

/**
 * Serves a JSON-protocol service through the shared local server (guard, SigV4, body): dispatches
 * on `X-Amz-Target`, parses the input (a JSON object; anything else is a SerializationException as
 * in AWS), and answers the output or the error as the SDKs and the CLI read them.
 */
export function startJsonServer(service: JsonService, options: JsonServerOptions): Promise<AwsServer> {
  const names = Object.keys(service.operations);
  const send = (response: http.ServerResponse, status: number, body: unknown, errorType?: string) => {
    response.writeHead(status, {
      'content-type': `application/x-amz-json-${service.version}`,
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(JSON.stringify(body));
  };
  return startAwsServer({
    service: options.service,
    credentials: options.credentials,
    ...(options.port !== undefined ? { port: options.port } : {}),
    body: { kind: 'buffered', limit: options.bodyLimit ?? 8 * 2 ** 20 },
    sendError: (response, error) => {
      const { status, type, message } = describeError(error);
      send(response, status, { __type: type, message }, type);
    },
    async handle(request, body, response) {
      const target = request.headers.get('x-amz-target') ?? '';
      const operation = target.startsWith(`${service.targetPrefix}.`)
        ? target.slice(service.targetPrefix.length + 1)
        : '';
      const run = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
      if (request.method !== 'POST' || !run) {
        throw new LocalServiceError(
          'UnknownOperationException',
          target
            ? `${service.label} does not support ${target.slice(target.lastIndexOf('.') + 1)} (${target}); it supports ${names.join(', ')}`
            : `not a request of this API (no X-Amz-Target header): ${request.method} ${request.rawPath}`,
        );
      }
      options.onRequest?.(operation);
      send(response, 200, (await run(parseInput(body))) ?? {});
    },
  });
}

/** A JSON object, as every operation's input is; `{}` for an empty body. */
function parseInput(body: Buffer): JsonObject {
  if (body.length === 0) return {};
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    throw new LocalServiceError('SerializationException', 'the request body is not valid JSON');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new LocalServiceError(
      'SerializationException',
      `the request body must be a JSON object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`,
    );
  }
  return input as JsonObject;
}

/** The status, `__type` and message of an error, as the JSON protocols send them. */
export function describeError(error: unknown): { status: number; type: string; message: string } {
  if (error instanceof RequestRefusal)
    return { status: error.status, type: error.jsonType, message: error.message };
  if (error instanceof LocalServiceError)
    return { status: error.status, type: error.type, message: error.message };
  return {
    status: 500,
    type: 'InternalFailure',
    message: error instanceof Error ? error.message : String(error),
  };
}
