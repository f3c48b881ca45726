import { closeSync, createReadStream, openSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { ObjectHeaders, StoredObject, TagSet } from './object-store';
import { receiveBody, receiveSmallBody } from './receive-body';
import type { S3Context } from './s3-context';
import { S3Error, s3Errors } from './s3-error';
import {
  checkVersionId,
  httpDate,
  isoDate,
  metadataOf,
  objectHeadersOf,
  quoted,
  type S3Call,
  sendEmpty,
  sendXml,
  unquoted,
} from './s3-http';
import { tagsFromHeader, tagsFromXml } from './tags';
import { listOf, parseXmlBody, textOf } from './xml';

/**
 * PutObject: the body is received into tmp/ and checked (signature, hashes, checksum), then
 * committed whole. The new object has the tags given with it (`x-amz-tagging`), none otherwise,
 * as in S3; `If-None-Match: *` and `If-Match` make the write conditional.
 */
export async function putObject(context: S3Context, call: S3Call): Promise<void> {
  const { store } = context;
  const { headers } = call.request;
  store.find(call.bucket, call.key); // NoSuchBucket before the body is read
  const tags = tagsFromHeader(headers.get('x-amz-tagging'));
  const metadata = metadataOf(headers);
  const received = await receiveBody(call.request, store.tempFile());
  const object = store.commit(
    call.bucket,
    call.key,
    { file: received.file },
    {
      size: received.size,
      etag: received.md5Hex,
      headers: objectHeadersOf(headers),
      metadata,
      tags,
      ...(received.checksum ? { checksum: received.checksum } : {}),
    },
    (current) => checkWriteConditions(headers, current, call.key),
  );
  context.created(call.bucket, object, 'Put');
  sendEmpty(call.response, 200, {
    etag: quoted(object.etag),
    'x-amz-server-side-encryption': 'AES256',
    ...(object.checksum ? { [`x-amz-checksum-${object.checksum.algorithm}`]: object.checksum.value } : {}),
  });
}

/** S3's conditional writes: `If-None-Match: *` (only if absent) and `If-Match: ETAG` (only that version). */
export function checkWriteConditions(
  headers: ReadonlyMap<string, string>,
  current: StoredObject | undefined,
  key: string,
): void {
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*')
      throw s3Errors.invalidArgument('If-None-Match only accepts *', 'If-None-Match', ifNoneMatch);
    if (current) throw s3Errors.preconditionFailed('If-None-Match');
  }
  const ifMatch = headers.get('if-match');
  if (ifMatch !== undefined) {
    if (!current) throw s3Errors.noSuchKey(key);
    if (unquoted(ifMatch) !== current.etag) throw s3Errors.preconditionFailed('If-Match');
  }
}

/** GetObject, with ranges, conditions and response-header overrides; the bytes read are the version found at the start. */
export async function getObject(context: S3Context, call: S3Call, head = false): Promise<void> {
  checkVersionId(call.query);
  const object = context.store.get(call.bucket, call.key);
  const { headers } = call.request;
  const status = readConditions(headers, object);
  if (status === 304) {
    sendEmpty(call.response, 304, {
      etag: quoted(object.etag),
      'last-modified': httpDate(object.lastModified),
    });
    return;
  }
  const range = rangeOf(headers.get('range'), object.size);
  const overrides = responseOverrides(call.query);
  const checksumWanted = headers.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && !range;
  const reply: Record<string, string> = {
    'content-type': object.headers.contentType ?? 'binary/octet-stream',
    ...definedHeaders(object.headers),
    etag: quoted(object.etag),
    'last-modified': httpDate(object.lastModified),
    'accept-ranges': 'bytes',
    'content-length': String(range ? range.end - range.start + 1 : object.size),
    'x-amz-server-side-encryption': 'AES256',
    ...Object.fromEntries(
      Object.entries(object.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]),
    ),
    ...(object.tags.length > 0 ? { 'x-amz-tagging-count': String(object.tags.length) } : {}),
    ...(object.parts ? { 'x-amz-mp-parts-count': String(object.parts) } : {}),
    ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${object.size}` } : {}),
    ...(checksumWanted && object.checksum
      ? { [`x-amz-checksum-${object.checksum.algorithm}`]: object.checksum.value }
      : {}),
    ...overrides,
  };
  if (head) {
    sendEmpty(call.response, range ? 206 : 200, reply);
    return;
  }
  // Opened now: an overwrite or a delete while the bytes stream leaves this version readable.
  const fd = openSync(context.store.blobPath(object), 'r');
  let stream: ReturnType<typeof createReadStream>;
  try {
    stream = createReadStream('', { fd, ...(range ? { start: range.start, end: range.end } : {}) });
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  call.response.writeHead(range ? 206 : 200, reply);
  await pipeline(stream, call.response);
}

function definedHeaders(headers: ObjectHeaders): Record<string, string> {
  const names: Record<keyof ObjectHeaders, string> = {
    contentType: 'content-type',
    contentEncoding: 'content-encoding',
    contentDisposition: 'content-disposition',
    contentLanguage: 'content-language',
    cacheControl: 'cache-control',
    expires: 'expires',
  };
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [names[name as keyof ObjectHeaders], value as string]),
  );
}

/** RFC 7232's order, as S3 applies it: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. */
function readConditions(headers: ReadonlyMap<string, string>, object: StoredObject): 200 | 304 {
  const ifMatch = headers.get('if-match');
  const ifNoneMatch = headers.get('if-none-match');
  const matches = (list: string) =>
    list.split(',').some((tag) => tag.trim() === '*' || unquoted(tag) === object.etag);
  const modifiedSince = (header: string) =>
    Math.floor(object.lastModified / 1000) > Math.floor(Date.parse(header) / 1000);
  if (ifMatch !== undefined && !matches(ifMatch)) throw s3Errors.preconditionFailed('If-Match');
  const ifUnmodified = headers.get('if-unmodified-since');
  if (ifMatch === undefined && ifUnmodified !== undefined && modifiedSince(ifUnmodified)) {
    throw s3Errors.preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) return matches(ifNoneMatch) ? 304 : 200;
  const ifModified = headers.get('if-modified-since');
  if (ifModified !== undefined && !Number.isNaN(Date.parse(ifModified)) && !modifiedSince(ifModified))
    return 304;
  return 200;
}

/** A single byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`); other forms are ignored, as S3 ignores them. */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) {
    throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
      RangeRequested: header as string,
      ActualObjectSize: String(size),
    });
  }
  return { start, end };
}

const OVERRIDES: Readonly<Record<string, string>> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function responseOverrides(query: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(OVERRIDES)
      .filter(([parameter]) => query.has(parameter))
      .map(([parameter, header]) => [header, query.get(parameter) as string]),
  );
}

export function deleteObject(context: S3Context, call: S3Call): void {
  checkVersionId(call.query);
  context.store.delete(call.bucket, call.key);
  sendEmpty(call.response, 204);
}

/** DeleteObjects: up to 1,000 keys; each missing key counts as deleted, as in S3. */
export async function deleteObjects(context: S3Context, call: S3Call): Promise<void> {
  context.store.find(call.bucket, '');
  const document = parseXmlBody(await receiveSmallBody(call.request), 'Delete');
  const objects = listOf(document, 'Object');
  if (objects.length === 0 || objects.length > 1000) throw s3Errors.malformedXml();
  const quiet = textOf(document, 'Quiet') === 'true';
  const deleted: Array<{ Key: string }> = [];
  const errors: Array<{ Key: string; Code: string; Message: string }> = [];
  for (const item of objects) {
    const key = textOf(item, 'Key');
    if (key === undefined) throw s3Errors.malformedXml();
    const versionId = textOf(item, 'VersionId');
    if (versionId !== undefined && versionId !== 'null') {
      errors.push({ Key: key, Code: 'NoSuchVersion', Message: 'The specified version does not exist.' });
      continue;
    }
    context.store.delete(call.bucket, key);
    deleted.push({ Key: key });
  }
  sendXml(call.response, 'DeleteResult', { Deleted: quiet ? [] : deleted, Error: errors });
}

/**
 * CopyObject. The source (`x-amz-copy-source`: bucket and key, URL-encoded) is looked up in the
 * store, never read as a path; its bytes are shared with the copy. Metadata and tags are copied
 * unless the directives say REPLACE.
 */
export function copyObject(context: S3Context, call: S3Call): void {
  const { store } = context;
  const { headers } = call.request;
  store.find(call.bucket, call.key);
  const source = copySourceOf(context, headers);
  checkCopySourceConditions(headers, source);
  const replaceMetadata = directive(headers, 'x-amz-metadata-directive') === 'REPLACE';
  const replaceTags = directive(headers, 'x-amz-tagging-directive') === 'REPLACE';
  if (source.bucket === call.bucket && source.object.key === call.key && !replaceMetadata) {
    throw s3Errors.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const tags: TagSet = replaceTags ? tagsFromHeader(headers.get('x-amz-tagging')) : source.object.tags;
  const object = store.commit(
    call.bucket,
    call.key,
    { blobOf: source.object },
    {
      size: source.object.size,
      etag: source.object.etag,
      headers: replaceMetadata ? objectHeadersOf(headers) : source.object.headers,
      metadata: replaceMetadata ? metadataOf(headers) : source.object.metadata,
      tags,
      ...(source.object.checksum ? { checksum: source.object.checksum } : {}),
      ...(source.object.parts ? { parts: source.object.parts } : {}),
    },
    (current) => checkWriteConditions(headers, current, call.key),
  );
  context.created(call.bucket, object, 'Copy');
  sendXml(call.response, 'CopyObjectResult', {
    LastModified: isoDate(object.lastModified),
    ETag: quoted(object.etag),
  });
}

function directive(headers: ReadonlyMap<string, string>, name: string): 'COPY' | 'REPLACE' {
  const value = headers.get(name) ?? 'COPY';
  if (value !== 'COPY' && value !== 'REPLACE')
    throw s3Errors.invalidArgument(`Unknown ${name}: ${value}`, name, value);
  return value;
}

/** The object `x-amz-copy-source` names (`[/]bucket/key[?versionId=null]`, URL-encoded). */
export function copySourceOf(
  context: S3Context,
  headers: ReadonlyMap<string, string>,
): { bucket: string; object: StoredObject } {
  const header = headers.get('x-amz-copy-source') ?? '';
  const [path = '', query = ''] = header.split('?', 2);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path).replace(/^\//, '');
  } catch {
    throw s3Errors.invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', header);
  }
  const slash = decoded.indexOf('/');
  if (slash < 1 || slash === decoded.length - 1) {
    throw s3Errors.invalidArgument('Invalid copy source object key', 'x-amz-copy-source', header);
  }
  const versionId = new URLSearchParams(query).get('versionId');
  if (versionId !== null && versionId !== 'null') {
    throw s3Errors.invalidArgument('Invalid version id specified', 'x-amz-copy-source', header);
  }
  const bucket = decoded.slice(0, slash);
  return { bucket, object: context.store.get(bucket, decoded.slice(slash + 1)) };
}

function checkCopySourceConditions(
  headers: ReadonlyMap<string, string>,
  source: { object: StoredObject },
): void {
  const { object } = source;
  const ifMatch = headers.get('x-amz-copy-source-if-match');
  const ifNoneMatch = headers.get('x-amz-copy-source-if-none-match');
  const ifUnmodified = headers.get('x-amz-copy-source-if-unmodified-since');
  const ifModified = headers.get('x-amz-copy-source-if-modified-since');
  const seconds = Math.floor(object.lastModified / 1000);
  if (ifMatch !== undefined && unquoted(ifMatch) !== object.etag)
    throw s3Errors.preconditionFailed('x-amz-copy-source-If-Match');
  if (ifNoneMatch !== undefined && unquoted(ifNoneMatch) === object.etag) {
    throw s3Errors.preconditionFailed('x-amz-copy-source-If-None-Match');
  }
  if (
    ifMatch === undefined &&
    ifUnmodified !== undefined &&
    seconds > Math.floor(Date.parse(ifUnmodified) / 1000)
  ) {
    throw s3Errors.preconditionFailed('x-amz-copy-source-If-Unmodified-Since');
  }
  if (
    ifNoneMatch === undefined &&
    ifModified !== undefined &&
    seconds <= Math.floor(Date.parse(ifModified) / 1000)
  ) {
    throw s3Errors.preconditionFailed('x-amz-copy-source-If-Modified-Since');
  }
}

export function getObjectTagging(context: S3Context, call: S3Call): void {
  checkVersionId(call.query);
  const object = context.store.get(call.bucket, call.key);
  sendXml(call.response, 'Tagging', { TagSet: { Tag: object.tags.map(([Key, Value]) => ({ Key, Value })) } });
}

export async function putObjectTagging(context: S3Context, call: S3Call): Promise<void> {
  checkVersionId(call.query);
  context.store.get(call.bucket, call.key);
  const tags = tagsFromXml(await receiveSmallBody(call.request));
  context.store.setTags(call.bucket, call.key, tags);
  sendEmpty(call.response, 200);
}

export function deleteObjectTagging(context: S3Context, call: S3Call): void {
  checkVersionId(call.query);
  context.store.setTags(call.bucket, call.key, []);
  sendEmpty(call.response, 204);
}
