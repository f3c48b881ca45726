import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { LocalCredentials } from './local-credentials';
import { RequestRefusal, refuse } from './refusal';

/**
 * AWS Signature Version 4, checked by the server: the canonical request, the string to sign and
 * the signing key as AWS documents them (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4
 * and the S3 API reference's "Authenticating Requests (AWS Signature Version 4)" pages), for
 * the Authorization header and for presigned URLs (query parameters). S3's streaming uploads sign
 * each chunk and the trailer with the seed signature this returns (src/local/protocol/aws-chunked.ts).
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
/** How far a request's time may be from the server's, as AWS allows. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest validity a presigned URL may ask for: 7 days. */
const MAX_EXPIRES_SECONDS = 604_800;

/** What a signature covers of a request, as it arrived (nothing decoded or normalised). */
export interface SignedRequest {
  readonly method: string;
  /** The path as sent, before `?`. */
  readonly rawPath: string;
  /** The query as sent, after `?` ('' when none). */
  readonly rawQuery: string;
  /** Node's rawHeaders: name, value, name, value, ... in the order received. */
  readonly rawHeaders: readonly string[];
}

export interface VerifyOptions {
  readonly credentials: LocalCredentials;
  /** The signing name of the service: `s3`, `states`, `lambda`, `monitoring`, `sqs`, `events`. */
  readonly service: string;
  /**
   * The payload hash of the canonical request, given how the request was signed: S3 takes the
   * declared `x-amz-content-sha256` (the body is checked against it as it streams), the JSON
   * services the SHA-256 of the body read.
   */
  readonly payloadHash: (mechanism: 'header' | 'query', headers: HeaderMap) => string;
  readonly now?: number;
}

/** A verified signature: what a streaming body's chunk signatures chain from. */
export interface Verified {
  readonly mechanism: 'header' | 'query';
  readonly accessKeyId: string;
  /** `YYYYMMDDTHHMMSSZ`, as signed. */
  readonly amzDate: string;
  /** `date/region/service/aws4_request`. */
  readonly scope: string;
  readonly signingKey: Buffer;
  /** The request's signature: the seed of a streaming upload's chunk signatures. */
  readonly signature: string;
  /** The payload hash the canonical request used. */
  readonly payloadHash: string;
  readonly signedHeaders: readonly string[];
}

/** Header values by lower-case name; repeated headers are joined with `,`, as SigV4 does. */
export type HeaderMap = ReadonlyMap<string, string>;

export function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = (rawHeaders[i + 1] as string).trim().replace(/\s+/g, ' ');
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before},${value}`);
  }
  return headers;
}

/**
 * Checks the request's SigV4 signature against `credentials`; throws a RequestRefusal saying
 * what is wrong (unsigned, unknown key, expired, malformed, mismatched). S3's paths are not
 * normalised and are encoded once; other services encode each segment of the path as sent once
 * more (the SDKs and the CLI do the same).
 */
export function verifySignature(request: SignedRequest, options: VerifyOptions): Verified {
  const headers = headerMap(request.rawHeaders);
  const query = parseQuery(request.rawQuery);
  const authorization = headers.get('authorization');
  const presigned = query.some(([name]) => name === 'X-Amz-Algorithm');
  if (authorization !== undefined && presigned) {
    throw refuse.malformed('Only one auth mechanism allowed: the Authorization header or the X-Amz-* query');
  }
  if (authorization === undefined && !presigned) throw refuse.unsigned();
  const mechanism = presigned ? 'query' : 'header';
  const parts = presigned ? fromQuery(query) : fromHeader(authorization as string, headers);
  const { accessKeyId, amzDate, scope, signedHeaders, signature } = parts;
  const [date, region, service, terminator] = scope.split('/');
  if (!date || !region || terminator !== 'aws4_request' || scope.split('/').length !== 4) {
    throw refuse.malformed(
      `the credential scope ${JSON.stringify(scope)} is not date/region/service/aws4_request`,
    );
  }
  if (service !== options.service) {
    throw refuse.malformed(
      `the request is signed for service ${JSON.stringify(service)}, this endpoint is ${options.service}`,
    );
  }
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) {
    throw refuse.malformed(
      `the request date ${JSON.stringify(amzDate)} does not match the credential date ${date}`,
    );
  }
  if (!signedHeaders.includes('host')) throw refuse.malformed('the host header must be signed');
  if (accessKeyId !== options.credentials.accessKeyId) throw refuse.unknownKey(accessKeyId);
  checkTime(amzDate, parts.expires, options.now ?? Date.now());
  if (options.service === 's3') {
    const unsigned = [...headers.keys()].filter(
      (name) => name.startsWith('x-amz-') && !signedHeaders.includes(name),
    );
    if (unsigned.length > 0) throw refuse.unsignedHeaders(unsigned);
  }

  const payloadHash = options.payloadHash(mechanism, headers);
  const signingKey = deriveSigningKey(options.credentials.secretAccessKey, date, region, service);
  const canonicalQuery = canonicalQueryString(
    presigned ? query.filter(([name]) => name !== 'X-Amz-Signature') : query,
  );
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join('');
  const matches = canonicalUris(request.rawPath, options.service).some((uri) => {
    const canonical = [
      request.method,
      uri,
      canonicalQuery,
      canonicalHeaders,
      signedHeaders.join(';'),
      payloadHash,
    ].join('\n');
    const expected = hmacHex(signingKey, stringToSign(amzDate, scope, sha256Hex(canonical)));
    return sameHex(expected, signature);
  });
  if (!matches) throw refuse.signature();
  return { mechanism, accessKeyId, amzDate, scope, signingKey, signature, payloadHash, signedHeaders };
}

interface SignatureParts {
  readonly accessKeyId: string;
  readonly scope: string;
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** Seconds a presigned URL stays valid. */
  readonly expires?: number;
}

function fromHeader(authorization: string, headers: HeaderMap): SignatureParts {
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    throw refuse.malformed(`the Authorization header must use ${ALGORITHM} (AWS Signature Version 4)`);
  }
  const fields = new Map(
    authorization
      .slice(ALGORITHM.length + 1)
      .split(',')
      .map((field) => field.trim().split('=', 2) as [string, string | undefined]),
  );
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw refuse.malformed('the Authorization header needs Credential, SignedHeaders and Signature');
  }
  const amzDate = headers.get('x-amz-date') ?? '';
  const slash = credential.indexOf('/');
  return {
    accessKeyId: credential.slice(0, slash),
    scope: credential.slice(slash + 1),
    amzDate,
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}

function fromQuery(query: ReadonlyArray<readonly [string, string]>): SignatureParts {
  const value = (name: string) => {
    const found = query.filter(([key]) => key === name);
    if (found.length !== 1) throw refuse.malformed(`a presigned URL needs exactly one ${name}`);
    return (found[0] as readonly [string, string])[1];
  };
  if (value('X-Amz-Algorithm') !== ALGORITHM) {
    throw refuse.malformed(`X-Amz-Algorithm must be ${ALGORITHM}`);
  }
  const credential = value('X-Amz-Credential');
  const expires = value('X-Amz-Expires');
  if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_SECONDS) {
    throw refuse.malformed(
      `X-Amz-Expires must be 1 to ${MAX_EXPIRES_SECONDS} seconds, got ${JSON.stringify(expires)}`,
    );
  }
  const slash = credential.indexOf('/');
  return {
    accessKeyId: credential.slice(0, slash),
    scope: credential.slice(slash + 1),
    amzDate: value('X-Amz-Date'),
    signedHeaders: value('X-Amz-SignedHeaders').split(';'),
    signature: value('X-Amz-Signature'),
    expires: Number(expires),
  };
}

function checkTime(amzDate: string, expires: number | undefined, now: number): void {
  const signedAt = Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );
  if (expires !== undefined) {
    if (now > signedAt + expires * 1000) throw refuse.expired(amzDate, expires);
    if (signedAt - now > MAX_SKEW_MS) throw refuse.skewed(amzDate);
  } else if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw refuse.skewed(amzDate);
  }
}

/** The query's parameters, decoded (a `+` stays a `+`, as SigV4 reads it); a malformed escape is refused. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery.split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    const value = equals < 0 ? '' : pair.slice(equals + 1);
    return [decodeComponent(name), decodeComponent(value)];
  });
}

export function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RequestRefusal(
      400,
      'InvalidURI',
      'ValidationException',
      `not a valid URI escape: ${JSON.stringify(text)}`,
    );
  }
}

/** RFC 3986 percent-encoding, every byte but the unreserved `A-Z a-z 0-9 - . _ ~`, as SigV4 wants. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalQueryString(query: ReadonlyArray<readonly [string, string]>): string {
  return query
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/**
 * The canonical URIs that stand for the path sent. S3: the path as sent (encoded once by the
 * client), or the decoded path encoded by SigV4's rule, for a client that escapes a character or
 * two differently; both name the same key. Other services: each segment of the path as sent,
 * encoded once more.
 */
function canonicalUris(rawPath: string, service: string): string[] {
  const segments = rawPath.split('/');
  if (service !== 's3') return [segments.map(uriEncode).join('/')];
  const reencoded = segments.map((segment) => uriEncode(decodeComponent(segment))).join('/');
  return reencoded === rawPath ? [rawPath] : [rawPath, reencoded];
}

export function stringToSign(amzDate: string, scope: string, hashHex: string, algorithm = ALGORITHM): string {
  return `${algorithm}\n${amzDate}\n${scope}\n${hashHex}`;
}

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(Buffer.from(`AWS4${secret}`, 'utf8'), date);
  return hmac(hmac(hmac(kDate, region), service), 'aws4_request');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function hmacHex(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Compares two hex signatures in constant time. */
export function sameHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
