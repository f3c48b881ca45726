import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { AwsRequest } from '../protocol/aws-server';
import { RequestRefusal } from '../protocol/refusal';
import { decodeComponent } from '../protocol/sigv4';
import type { StoredObject } from './object-store';
import { S3Error, s3Errors } from './s3-error';
import { type XmlElement, xmlDocument, xmlError } from './xml';

/** S3's limit on a key: 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

/** One S3 request, addressed: the bucket and key it names (decoded, never normalised) and its query. */
export interface S3Call {
  readonly request: AwsRequest;
  readonly response: http.ServerResponse;
  /** '' for ListBuckets. */
  readonly bucket: string;
  /** '' for an operation on the bucket. */
  readonly key: string;
  readonly query: ReadonlyMap<string, string>;
}

/**
 * The bucket and key a request names. Path style: `/bucket/key`, the key being everything after
 * the bucket's slash, percent-decoded once (`a//b`, `./x` and `../y` are keys like any other).
 * Virtual-hosted style: the bucket from the Host, the key from the path.
 */
export function addressOf(request: AwsRequest): { bucket: string; key: string } {
  const path = request.rawPath;
  if (!path.startsWith('/'))
    throw new S3Error(400, 'InvalidURI', `Couldn't parse the specified URI: ${path}`);
  let bucket: string;
  let rawKey: string;
  if (request.virtualBucket !== undefined) {
    bucket = request.virtualBucket;
    rawKey = path.slice(1);
  } else {
    const slash = path.indexOf('/', 1);
    bucket = decodeComponent(slash < 0 ? path.slice(1) : path.slice(1, slash));
    rawKey = slash < 0 ? '' : path.slice(slash + 1);
  }
  const key = decodeUri(rawKey);
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new S3Error(400, 'KeyTooLongError', 'Your key is too long', {
      Size: String(Buffer.byteLength(key, 'utf8')),
      MaxSizeAllowed: String(MAX_KEY_BYTES),
    });
  }
  return { bucket, key };
}

function decodeUri(text: string): string {
  try {
    return decodeComponent(text);
  } catch (error) {
    if (error instanceof RequestRefusal)
      throw new S3Error(400, 'InvalidURI', `Couldn't parse the specified URI: ${text}`);
    throw error;
  }
}

/** Headers every S3 answer carries. */
function commonHeaders(): Record<string, string> {
  return {
    'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
    'x-amz-id-2': randomBytes(24).toString('base64'),
    server: 'lambda-av (local S3)',
  };
}

export function sendXml(
  response: http.ServerResponse,
  root: string,
  children: XmlElement,
  headers: Record<string, string> = {},
  status = 200,
): void {
  const body = xmlDocument(root, children);
  response.writeHead(status, {
    ...commonHeaders(),
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  response.end(body);
}

export function sendEmpty(
  response: http.ServerResponse,
  status: number,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { ...commonHeaders(), 'content-length': '0', ...headers });
  response.end();
}

/** Answers an error as S3 does: an `<Error>` document (none for HEAD, whose answers have no body). */
export function sendS3Error(response: http.ServerResponse, error: unknown, method: string | undefined): void {
  const { status, code, message, details } = asS3Error(error);
  const headers = commonHeaders();
  const body =
    method === 'HEAD'
      ? ''
      : xmlError({ Code: code, Message: message, ...details, RequestId: headers['x-amz-request-id'] });
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(body)),
    ...(method === 'HEAD' ? { 'x-amz-error-code': code } : {}),
  });
  response.end(body);
}

function asS3Error(error: unknown): {
  status: number;
  code: string;
  message: string;
  details: Record<string, string>;
} {
  if (error instanceof S3Error) return { ...error, message: error.message, details: { ...error.details } };
  if (error instanceof RequestRefusal) {
    return { status: error.status, code: error.s3Code, message: error.message, details: {} };
  }
  return {
    status: 500,
    code: 'InternalError',
    message: `We encountered an internal error. Please try again. (${error instanceof Error ? error.message : String(error)})`,
    details: {},
  };
}

/** An ETag as S3's headers and documents write it: in double quotes. */
export function quoted(etag: string): string {
  return `"${etag}"`;
}

/** An ETag given by a client (`"abc"`, `abc`, `W/"abc"`), without its quotes. */
export function unquoted(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** The `x-amz-meta-*` headers of a request, by lower-case name without the prefix; at most 2 KB in all, as S3 allows. */
export function metadataOf(headers: ReadonlyMap<string, string>): Record<string, string> {
  const metadata: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of headers) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const short = name.slice('x-amz-meta-'.length);
    metadata[short] = value;
    size += Buffer.byteLength(short) + Buffer.byteLength(value);
  }
  if (size > 2048) {
    throw new S3Error(
      400,
      'MetadataTooLarge',
      'Your metadata headers exceed the maximum allowed metadata size',
      {
        Size: String(size),
        MaxSizeAllowed: '2048',
      },
    );
  }
  return metadata;
}

/** The standard headers kept with an object; `aws-chunked` is the upload's framing, not the object's encoding. */
export function objectHeadersOf(headers: ReadonlyMap<string, string>): StoredObject['headers'] {
  const encoding = headers
    .get('content-encoding')
    ?.split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '' && token !== 'aws-chunked')
    .join(',');
  const pick = {
    contentType: headers.get('content-type'),
    contentEncoding: encoding || undefined,
    contentDisposition: headers.get('content-disposition'),
    contentLanguage: headers.get('content-language'),
    cacheControl: headers.get('cache-control'),
    expires: headers.get('expires'),
  };
  return Object.fromEntries(Object.entries(pick).filter(([, value]) => value !== undefined));
}

/** An unversioned bucket knows one version of each object, `null`: any other id is refused, as S3 refuses it. */
export function checkVersionId(query: ReadonlyMap<string, string>): void {
  const versionId = query.get('versionId');
  if (versionId !== undefined && versionId !== 'null') {
    throw s3Errors.invalidArgument('Invalid version id specified', 'versionId', versionId);
  }
}
