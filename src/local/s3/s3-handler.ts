import type http from 'node:http';
import type { AwsRequest } from '../protocol/aws-server';
import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
  listBuckets,
  listObjects,
  listObjectsV2,
} from './bucket-operations';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart-operations';
import {
  copyObject,
  deleteObject,
  deleteObjects,
  deleteObjectTagging,
  getObject,
  getObjectTagging,
  putObject,
  putObjectTagging,
} from './object-operations';
import type { S3Context } from './s3-context';
import { s3Errors } from './s3-error';
import { addressOf, type S3Call } from './s3-http';

type Operation = (context: S3Context, call: S3Call) => void | Promise<void>;

/** S3 sub-resources this endpoint does not serve: a request naming one is refused by operation name. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl',
  'accelerate',
  'analytics',
  'attributes',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'torrent',
  'versions',
  'website',
];

/**
 * Which S3 operation a request is, from its method, whether it names a key, and its sub-resource
 * (`?tagging`, `?uploads`, `?uploadId=`, `?list-type=2`, ...), as S3's REST API routes it.
 */
function route(call: S3Call): Operation {
  const { method } = call.request;
  const has = (name: string) => call.query.has(name);
  const unsupported = UNSUPPORTED_SUBRESOURCES.find(has);
  if (unsupported !== undefined || (call.bucket === '' && method !== 'GET')) {
    throw s3Errors.notImplemented(operationName(method, call.key !== '', unsupported ?? ''));
  }
  if (call.bucket === '') return listBuckets;
  if (call.key === '') {
    if (method === 'PUT' && !has('tagging') && !has('versioning')) return createBucket;
    if (method === 'DELETE' && !has('tagging')) return deleteBucket;
    if (method === 'HEAD') return headBucket;
    if (method === 'POST' && has('delete')) return deleteObjects;
    if (method === 'GET') {
      if (has('location')) return getBucketLocation;
      if (has('versioning')) return getBucketVersioning;
      if (has('uploads')) return listMultipartUploads;
      if (has('tagging')) throw s3Errors.notImplemented('GetBucketTagging');
      return call.query.get('list-type') === '2' ? listObjectsV2 : listObjects;
    }
  } else {
    if (method === 'PUT') {
      if (has('tagging')) return putObjectTagging;
      if (has('uploadId')) return call.request.headers.has('x-amz-copy-source') ? uploadPartCopy : uploadPart;
      return call.request.headers.has('x-amz-copy-source') ? copyObject : putObject;
    }
    if (method === 'GET') {
      if (has('tagging')) return getObjectTagging;
      if (has('uploadId')) return listParts;
      return getObject;
    }
    if (method === 'HEAD') return (context, c) => getObject(context, c, true);
    if (method === 'DELETE') {
      if (has('tagging')) return deleteObjectTagging;
      if (has('uploadId')) return abortMultipartUpload;
      return deleteObject;
    }
    if (method === 'POST') {
      if (has('uploads')) return createMultipartUpload;
      if (has('uploadId')) return completeMultipartUpload;
    }
  }
  throw s3Errors.notImplemented(
    `${method} ${call.key === '' ? 'on a bucket' : 'on an object'}${call.query.size > 0 ? ` with ?${[...call.query.keys()].join('&')}` : ''}`,
  );
}

/** `GET /bucket?encryption` is GetBucketEncryption: the name a client's error should show. */
function operationName(method: string, onObject: boolean, subresource: string): string {
  const verb = `${method.charAt(0)}${method.slice(1).toLowerCase()}`;
  const resource = subresource.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  return `${verb}${onObject ? 'Object' : 'Bucket'}${resource}`;
}

/** Runs one signed S3 request. */
export async function handleS3(
  context: S3Context,
  request: AwsRequest,
  response: http.ServerResponse,
): Promise<void> {
  const { bucket, key } = addressOf(request);
  const call: S3Call = { request, response, bucket, key, query: new Map(request.query) };
  await route(call)(context, call);
}
