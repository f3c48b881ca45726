import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LocalEndpoint } from '../../src/local/protocol/local-credentials';

/** SHA-256 (an HMAC when given a secret), in the shape the SDK's signer takes. */
export class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export interface RawRequest {
  readonly method: string;
  /** Path and query, as sent: `/2015-03-31/functions/f/invocations?Qualifier=x`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/**
 * The headers that sign a raw request for a local endpoint, computed by the AWS SDK's own signer
 * (`@smithy/signature-v4`): for tests that send requests by hand (fetch, http, curl) as a signed
 * client would.
 */
export async function signedHeaders(
  server: LocalEndpoint,
  service: string,
  request: RawRequest,
  options: { readonly unsignedPayload?: boolean; readonly signingDate?: Date } = {},
): Promise<Record<string, string>> {
  // The path as sent, not normalised (URL would resolve `..` and `//`, which S3 keys may hold).
  const url = new URL(server.endpoint);
  const [pathname = '/', rawQuery = ''] = request.path.split('?', 2);
  const query: Record<string, string> = {};
  for (const pair of rawQuery === '' ? [] : rawQuery.split('&')) {
    const [name = '', value = ''] = pair.split('=', 2);
    query[decodeURIComponent(name)] = decodeURIComponent(value);
  }
  const signer = new SignatureV4({
    credentials: server.credentials,
    region: 'us-east-1',
    service,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
    applyChecksum: service === 's3',
  });
  const body = request.body ?? '';
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: pathname,
      query,
      headers: {
        host: url.host,
        ...(options.unsignedPayload ? { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } : {}),
        ...request.headers,
      },
      body,
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

/** Sends a request signed for a local endpoint with fetch. */
export async function signedFetch(
  server: LocalEndpoint,
  service: string,
  request: RawRequest,
): Promise<Response> {
  const headers = await signedHeaders(server, service, request);
  const { host: _, ...sent } = headers;
  return fetch(`${server.endpoint}${request.path}`, {
    method: request.method,
    headers: sent,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
}
