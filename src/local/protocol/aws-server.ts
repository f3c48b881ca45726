import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortInUseError } from '../../errors';
import { keepConnectionsAlive } from '../keep-alive';
import type { LocalCredentials } from './local-credentials';
import { RequestRefusal, refuse } from './refusal';
import { guardLocalRequest } from './request-guard';
import { type HeaderMap, headerMap, parseQuery, sha256Hex, type Verified, verifySignature } from './sigv4';

/** A request that passed the guard and whose signature was checked. */
export interface AwsRequest {
  readonly raw: http.IncomingMessage;
  readonly method: string;
  /** The path as sent, before `?` (not decoded). */
  readonly rawPath: string;
  /** The query's parameters, decoded, in the order sent. */
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly headers: HeaderMap;
  readonly signature: Verified;
  /** The bucket of a virtual-hosted-style S3 request (`BUCKET.localhost:PORT`). */
  readonly virtualBucket?: string;
}

export interface AwsServerOptions {
  /** The signing name requests must be signed for (`s3`, `states`, `lambda`, `monitoring`, ...). */
  readonly service: string;
  readonly credentials: LocalCredentials;
  /** 0 (the default): a free port. */
  readonly port?: number;
  /**
   * `buffered`: the body is read (at most `limit` bytes) and checked against the signature before
   * `handle` runs. `streamed` (S3): the handler reads the body, checking it as it streams against
   * the payload hash the signature declared.
   */
  readonly body: { readonly kind: 'buffered'; readonly limit: number } | { readonly kind: 'streamed' };
  /** Answers an error (a RequestRefusal, a LocalServiceError, anything else) in the service's protocol. */
  readonly sendError: (response: http.ServerResponse, error: unknown) => void;
  readonly handle: (request: AwsRequest, body: Buffer, response: http.ServerResponse) => Promise<void> | void;
  /** S3: accept `BUCKET.localhost:PORT` hosts. */
  readonly virtualHostedBuckets?: boolean;
  /**
   * Requests that carry their authentication in their body, not SigV4 (S3's POST Object form with
   * its signed policy): passed the guard, handed over unread, to be authenticated by the handler.
   */
  readonly authenticatedByBody?: {
    matches(request: http.IncomingMessage): boolean;
    handle(
      request: http.IncomingMessage,
      response: http.ServerResponse,
      virtualBucket?: string,
    ): Promise<void>;
  };
}

export interface AwsServer {
  readonly endpoint: string;
  readonly port: number;
  /** Closes every connection and the listening socket. */
  stop(): Promise<void>;
}

/**
 * The one way the local AWS stand-ins serve HTTP on 127.0.0.1: guard the request (no cross-origin
 * request, no foreign Host; src/local/protocol/request-guard.ts), check its SigV4 signature with
 * the stack's credentials, read and check its body, hand it to the service, and answer any failure
 * in the service's protocol. A bad request gets its answer; nothing a client sends stops the server.
 */
export async function startAwsServer(options: AwsServerOptions): Promise<AwsServer> {
  let port = options.port ?? 0;
  const server = http.createServer((request, response) => {
    serve(request, response).catch((error: unknown) => answerError(response, error));
  });

  async function serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const { virtualBucket } = guardLocalRequest(request, port, {
      virtualHostedBuckets: options.virtualHostedBuckets === true,
    });
    const url = request.url ?? '/';
    const question = url.indexOf('?');
    const rawPath = question < 0 ? url : url.slice(0, question);
    const rawQuery = question < 0 ? '' : url.slice(question + 1);
    const signed = { method: request.method ?? 'GET', rawPath, rawQuery, rawHeaders: request.rawHeaders };
    // Refused before its body is read.
    if (request.headers.authorization === undefined && !/(^|&)X-Amz-Algorithm=/.test(rawQuery)) {
      const byBody = options.authenticatedByBody;
      if (byBody?.matches(request)) {
        await byBody.handle(request, response, virtualBucket);
        return;
      }
      throw refuse.unsigned();
    }
    let body: Buffer = Buffer.alloc(0);
    let signature: Verified;
    if (options.body.kind === 'buffered') {
      body = await readBody(request, options.body.limit);
      const bodyHash = sha256Hex(body);
      signature = verifySignature(signed, {
        credentials: options.credentials,
        service: options.service,
        payloadHash: (_, headers) => {
          const declared = headers.get('x-amz-content-sha256');
          if (declared !== undefined && declared !== bodyHash) throw refuse.payloadHash();
          return bodyHash;
        },
      });
    } else {
      signature = verifySignature(signed, {
        credentials: options.credentials,
        service: options.service,
        payloadHash: (mechanism, headers) =>
          headers.get('x-amz-content-sha256') ?? (mechanism === 'query' ? 'UNSIGNED-PAYLOAD' : missingHash()),
      });
    }
    await options.handle(
      {
        raw: request,
        method: signed.method,
        rawPath,
        query: parseQuery(rawQuery),
        headers: headerMap(request.rawHeaders),
        signature,
        ...(virtualBucket ? { virtualBucket } : {}),
      },
      body,
      response,
    );
  }

  function answerError(response: http.ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    // A refused request's body is not read: the connection closes after the answer.
    if (error instanceof RequestRefusal) response.setHeader('connection', 'close');
    try {
      options.sendError(response, error);
    } catch {
      response.destroy();
    }
  }

  keepConnectionsAlive(server);
  await listen(server, port);
  port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => closeServer(server),
  };
}

function missingHash(): never {
  throw new RequestRefusal(
    400,
    'InvalidRequest',
    'InvalidRequestException',
    'Missing required header for this request: x-amz-content-sha256',
  );
}

/** Reads a request's body, refusing one longer than `limit` bytes. */
export function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        request.pause();
        reject(refuse.tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Listens on 127.0.0.1 only. A port already taken is a clear PortInUseError (its message names the
 * port), not Node's EADDRINUSE stack trace.
 */
export function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(
              `port ${port} on 127.0.0.1 is in use (another lambda-av serve?): stop it, or choose other ports with --port`,
            )
          : error,
      );
    };
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
