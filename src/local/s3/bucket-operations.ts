import { LOCAL_ACCOUNT } from '../object-created-event';
import type { StoredObject } from './object-store';
import { receiveSmallBody } from './receive-body';
import type { S3Context } from './s3-context';
import { S3Error, s3Errors } from './s3-error';
import { isoDate, quoted, type S3Call, sendEmpty, sendXml } from './s3-http';
import type { XmlElement } from './xml';

const OWNER = { ID: LOCAL_ACCOUNT, DisplayName: 'lambda-av' };

export function listBuckets(context: S3Context, call: S3Call): void {
  sendXml(call.response, 'ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: {
      Bucket: context.store
        .listBuckets()
        .map(({ name, created }) => ({ Name: name, CreationDate: isoDate(created) })),
    },
  });
}

/**
 * CreateBucket. As in us-east-1, creating a bucket you own again succeeds; in other Regions
 * (the Region the request was signed for) S3 answers BucketAlreadyOwnedByYou.
 */
export async function createBucket(context: S3Context, call: S3Call): Promise<void> {
  await receiveSmallBody(call.request);
  const created = context.store.createBucket(call.bucket);
  const region = call.request.signature.scope.split('/')[1];
  if (!created && region !== 'us-east-1') {
    throw new S3Error(
      409,
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      {
        BucketName: call.bucket,
      },
    );
  }
  sendEmpty(call.response, 200, { location: `/${call.bucket}` });
}

export function deleteBucket(context: S3Context, call: S3Call): void {
  if (context.uploads.list(call.bucket).length > 0) {
    throw new S3Error(
      409,
      'BucketNotEmpty',
      'The bucket you tried to delete has multipart uploads in progress',
      {
        BucketName: call.bucket,
      },
    );
  }
  context.store.deleteBucket(call.bucket);
  sendEmpty(call.response, 204);
}

export function headBucket(context: S3Context, call: S3Call): void {
  context.store.find(call.bucket, '');
  sendEmpty(call.response, 200, { 'x-amz-bucket-region': 'us-east-1' });
}

export function getBucketLocation(context: S3Context, call: S3Call): void {
  context.store.find(call.bucket, '');
  // us-east-1 is reported as an empty LocationConstraint, as S3 does.
  sendXml(call.response, 'LocationConstraint', {});
}

export function getBucketVersioning(context: S3Context, call: S3Call): void {
  context.store.find(call.bucket, '');
  // Versioning was never enabled: S3 answers an empty configuration.
  sendXml(call.response, 'VersioningConfiguration', {});
}

interface Listing {
  readonly contents: StoredObject[];
  readonly commonPrefixes: string[];
  readonly truncated: boolean;
  /** The last key or common prefix returned: where the next page starts. */
  readonly last: string | undefined;
}

/**
 * One page of a bucket's keys from just after `after`: up to `max` keys and common prefixes (a
 * common prefix counts once, as in S3), grouped at `delimiter`.
 */
function listPage(
  context: S3Context,
  bucket: string,
  options: { prefix: string; delimiter: string; after: string; max: number; resuming: boolean },
): Listing {
  const { prefix, delimiter, after, max } = options;
  const contents: StoredObject[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  // A page that ended on a common prefix resumes after every key under it.
  let skipping =
    options.resuming && delimiter !== '' && after.endsWith(delimiter) && after.startsWith(prefix)
      ? after
      : undefined;
  for (const object of context.store.keys(bucket, prefix, after)) {
    if (skipping !== undefined && object.key.startsWith(skipping)) continue;
    const rest = object.key.slice(prefix.length);
    const cut = delimiter === '' ? -1 : rest.indexOf(delimiter);
    const item = cut < 0 ? object.key : prefix + rest.slice(0, cut + delimiter.length);
    if (contents.length + commonPrefixes.length >= max)
      return { contents, commonPrefixes, truncated: true, last };
    if (cut < 0) contents.push(object);
    else {
      commonPrefixes.push(item);
      skipping = item;
    }
    last = item;
  }
  return { contents, commonPrefixes, truncated: false, last };
}

function maxKeysOf(call: S3Call): number {
  const text = call.query.get('max-keys');
  if (text === undefined) return 1000;
  if (!/^\d+$/.test(text))
    throw s3Errors.invalidArgument(
      'Provided max-keys not an integer or within integer range',
      'max-keys',
      text,
    );
  return Math.min(Number(text), 1000);
}

/** Keys in a listing: raw, or URL-encoded (`encoding-type=url`, what the AWS CLI asks for). */
function encoder(call: S3Call): (text: string) => string {
  const type = call.query.get('encoding-type');
  if (type === undefined) return (text) => text;
  if (type !== 'url')
    throw s3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  return (text) => encodeURIComponent(text).replace(/%2F/g, '/');
}

function contentsOf(listing: Listing, encode: (text: string) => string, owner: boolean): XmlElement[] {
  return listing.contents.map((object) => ({
    Key: encode(object.key),
    LastModified: isoDate(object.lastModified),
    ETag: quoted(object.etag),
    ...(object.checksum ? { ChecksumAlgorithm: object.checksum.algorithm.toUpperCase() } : {}),
    Size: object.size,
    ...(owner ? { Owner: OWNER } : {}),
    StorageClass: 'STANDARD',
  }));
}

/** A continuation token: the last key (or common prefix) of the page, opaque to the client. */
function tokenOf(last: string): string {
  return Buffer.from(JSON.stringify({ after: last }), 'utf8').toString('base64url');
}

function afterToken(token: string): string {
  try {
    const { after } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'string') return after;
  } catch {
    // Not one of ours: refused below.
  }
  throw s3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
}

export function listObjectsV2(context: S3Context, call: S3Call): void {
  context.store.find(call.bucket, '');
  const prefix = call.query.get('prefix') ?? '';
  const delimiter = call.query.get('delimiter') ?? '';
  const token = call.query.get('continuation-token');
  const startAfter = call.query.get('start-after');
  const max = maxKeysOf(call);
  const after = token !== undefined ? afterToken(token) : (startAfter ?? '');
  const listing = listPage(context, call.bucket, {
    prefix,
    delimiter,
    after,
    max,
    resuming: token !== undefined,
  });
  const encode = encoder(call);
  sendXml(call.response, 'ListBucketResult', {
    Name: call.bucket,
    Prefix: encode(prefix),
    ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
    MaxKeys: max,
    KeyCount: listing.contents.length + listing.commonPrefixes.length,
    IsTruncated: listing.truncated,
    ...(call.query.has('encoding-type') ? { EncodingType: 'url' } : {}),
    ...(token !== undefined ? { ContinuationToken: token } : {}),
    ...(listing.truncated && listing.last !== undefined
      ? { NextContinuationToken: tokenOf(listing.last) }
      : {}),
    ...(startAfter !== undefined ? { StartAfter: encode(startAfter) } : {}),
    Contents: contentsOf(listing, encode, call.query.get('fetch-owner') === 'true'),
    CommonPrefixes: listing.commonPrefixes.map((common) => ({ Prefix: encode(common) })),
  });
}

export function listObjects(context: S3Context, call: S3Call): void {
  context.store.find(call.bucket, '');
  const prefix = call.query.get('prefix') ?? '';
  const delimiter = call.query.get('delimiter') ?? '';
  const marker = call.query.get('marker') ?? '';
  const max = maxKeysOf(call);
  const listing = listPage(context, call.bucket, { prefix, delimiter, after: marker, max, resuming: true });
  const encode = encoder(call);
  sendXml(call.response, 'ListBucketResult', {
    Name: call.bucket,
    Prefix: encode(prefix),
    Marker: encode(marker),
    // As S3: NextMarker only with a delimiter; without one, clients continue from the last key.
    ...(listing.truncated && delimiter && listing.last !== undefined
      ? { NextMarker: encode(listing.last) }
      : {}),
    MaxKeys: max,
    ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
    IsTruncated: listing.truncated,
    ...(call.query.has('encoding-type') ? { EncodingType: 'url' } : {}),
    Contents: contentsOf(listing, encode, true),
    CommonPrefixes: listing.commonPrefixes.map((common) => ({ Prefix: encode(common) })),
  });
}
