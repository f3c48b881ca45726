import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { isChecksumAlgorithm } from './checksums';
import { parsePartNumber, type Upload } from './multipart-uploads';
import { checkWriteConditions, copySourceOf } from './object-operations';
import { receiveBody, receiveSmallBody } from './receive-body';
import type { S3Context } from './s3-context';
import { S3Error, s3Errors } from './s3-error';
import {
  isoDate,
  metadataOf,
  objectHeadersOf,
  quoted,
  type S3Call,
  sendEmpty,
  sendXml,
  unquoted,
} from './s3-http';
import { tagsFromHeader } from './tags';
import { listOf, parseXmlBody, textOf } from './xml';

/** S3's smallest part, but for the last one: 5 MiB. */
const MIN_PART_SIZE = 5 * 2 ** 20;

function uploadOf(context: S3Context, call: S3Call): Upload {
  context.store.find(call.bucket, '');
  return context.uploads.get(call.query.get('uploadId') ?? '', call.bucket, call.key);
}

export async function createMultipartUpload(context: S3Context, call: S3Call): Promise<void> {
  const { headers } = call.request;
  context.store.find(call.bucket, '');
  await receiveSmallBody(call.request);
  const algorithm = headers.get('x-amz-checksum-algorithm')?.toLowerCase();
  if (algorithm !== undefined && !isChecksumAlgorithm(algorithm)) {
    throw s3Errors.invalidRequest(`the checksum algorithm ${algorithm} is not one S3 supports`);
  }
  const upload = context.uploads.create({
    bucket: call.bucket,
    key: call.key,
    headers: objectHeadersOf(headers),
    metadata: metadataOf(headers),
    tags: tagsFromHeader(headers.get('x-amz-tagging')),
    ...(algorithm ? { checksumAlgorithm: algorithm } : {}),
  });
  sendXml(call.response, 'InitiateMultipartUploadResult', {
    Bucket: call.bucket,
    Key: call.key,
    UploadId: upload.id,
  });
}

export async function uploadPart(context: S3Context, call: S3Call): Promise<void> {
  const upload = uploadOf(context, call);
  const number = parsePartNumber(call.query.get('partNumber'));
  const received = await receiveBody(call.request, context.store.tempFile());
  const part = context.uploads.putPart(upload, number, received.file, {
    etag: received.md5Hex,
    size: received.size,
    ...(received.checksum ? { checksum: received.checksum.value } : {}),
  });
  sendEmpty(call.response, 200, {
    etag: quoted(part.etag),
    ...(received.checksum
      ? { [`x-amz-checksum-${received.checksum.algorithm}`]: received.checksum.value }
      : {}),
  });
}

/** UploadPartCopy: a part from (a range of) an existing object, looked up in the store. */
export async function uploadPartCopy(context: S3Context, call: S3Call): Promise<void> {
  const upload = uploadOf(context, call);
  const number = parsePartNumber(call.query.get('partNumber'));
  await receiveSmallBody(call.request);
  const { object } = copySourceOf(context, call.request.headers);
  const rangeHeader = call.request.headers.get('x-amz-copy-source-range');
  let start = 0;
  let end = object.size - 1;
  if (rangeHeader !== undefined) {
    const match = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
    if (!match || Number(match[1]) > Number(match[2]) || Number(match[2]) >= object.size) {
      throw s3Errors.invalidArgument(
        'The x-amz-copy-source-range value must be of the form bytes=first-last within the object',
        'x-amz-copy-source-range',
        rangeHeader,
      );
    }
    start = Number(match[1]);
    end = Number(match[2]);
  }
  const file = context.store.tempFile();
  const md5 = createHash('md5');
  const source = createReadStream(context.store.blobPath(object), { start, end });
  source.on('data', (chunk) => md5.update(chunk));
  try {
    await pipeline(source, createWriteStream(file));
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  }
  const part = context.uploads.putPart(upload, number, file, {
    etag: md5.digest('hex'),
    size: end - start + 1,
  });
  sendXml(call.response, 'CopyPartResult', {
    LastModified: isoDate(part.lastModified),
    ETag: quoted(part.etag),
  });
}

/**
 * CompleteMultipartUpload: the listed parts (ascending, each with its ETag, all but the last at
 * least 5 MiB) are joined into one object, committed whole, with the ETag S3 gives (the MD5 of the
 * parts' MD5s, `-N`) and the tags given at CreateMultipartUpload.
 */
export async function completeMultipartUpload(context: S3Context, call: S3Call): Promise<void> {
  const upload = uploadOf(context, call);
  const document = parseXmlBody(await receiveSmallBody(call.request), 'CompleteMultipartUpload');
  const listed = listOf(document, 'Part').map((item) => ({
    number: parsePartNumber(textOf(item, 'PartNumber')),
    etag: unquoted(textOf(item, 'ETag') ?? ''),
  }));
  if (listed.length === 0) throw s3Errors.malformedXml();
  const parts = listed.map(({ number, etag }, index) => {
    const previous = listed[index - 1];
    if (previous && previous.number >= number) {
      throw new S3Error(
        400,
        'InvalidPartOrder',
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      );
    }
    const part = upload.parts.get(number);
    if (!part || part.etag !== etag) {
      throw new S3Error(
        400,
        'InvalidPart',
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        {
          UploadId: upload.id,
          PartNumber: String(number),
          ETag: etag,
        },
      );
    }
    if (index < listed.length - 1 && part.size < MIN_PART_SIZE) {
      throw new S3Error(
        400,
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
        {
          PartNumber: String(number),
          ProposedSize: String(part.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
        },
      );
    }
    return part;
  });
  const file = context.store.tempFile();
  try {
    const out = createWriteStream(file);
    for (const part of parts) {
      await pipeline(createReadStream(context.uploads.partPath(upload, part)), out, { end: false });
    }
    out.end();
    await new Promise<void>((resolve, reject) => {
      out.once('finish', resolve);
      out.once('error', reject);
    });
    const etag = `${createHash('md5')
      .update(Buffer.concat(parts.map((part) => Buffer.from(part.etag, 'hex'))))
      .digest('hex')}-${parts.length}`;
    const object = context.store.commit(
      call.bucket,
      call.key,
      { file },
      {
        size: parts.reduce((total, part) => total + part.size, 0),
        etag,
        headers: upload.headers,
        metadata: upload.metadata,
        tags: upload.tags,
        parts: parts.length,
      },
      (current) => checkWriteConditions(call.request.headers, current, call.key),
    );
    context.uploads.remove(upload);
    context.created(call.bucket, object, 'CompleteMultipartUpload');
    sendXml(call.response, 'CompleteMultipartUploadResult', {
      Location: `/${call.bucket}/${encodeURIComponent(call.key).replace(/%2F/g, '/')}`,
      Bucket: call.bucket,
      Key: call.key,
      ETag: quoted(object.etag),
    });
  } finally {
    rmSync(file, { force: true });
  }
}

export function abortMultipartUpload(context: S3Context, call: S3Call): void {
  context.uploads.remove(uploadOf(context, call));
  sendEmpty(call.response, 204);
}

export function listParts(context: S3Context, call: S3Call): void {
  const upload = uploadOf(context, call);
  const marker = Number(call.query.get('part-number-marker') ?? 0);
  const max = Math.min(Number(call.query.get('max-parts') ?? 1000) || 1000, 1000);
  const all = [...upload.parts.values()]
    .filter((part) => part.number > marker)
    .sort((a, b) => a.number - b.number);
  const page = all.slice(0, max);
  sendXml(call.response, 'ListPartsResult', {
    Bucket: call.bucket,
    Key: call.key,
    UploadId: upload.id,
    PartNumberMarker: marker,
    ...(all.length > max ? { NextPartNumberMarker: page.at(-1)?.number } : {}),
    MaxParts: max,
    IsTruncated: all.length > max,
    Part: page.map((part) => ({
      PartNumber: part.number,
      LastModified: isoDate(part.lastModified),
      ETag: quoted(part.etag),
      Size: part.size,
    })),
  });
}

export function listMultipartUploads(context: S3Context, call: S3Call): void {
  context.store.find(call.bucket, '');
  const prefix = call.query.get('prefix') ?? '';
  const uploads = context.uploads.list(call.bucket).filter((upload) => upload.key.startsWith(prefix));
  sendXml(call.response, 'ListMultipartUploadsResult', {
    Bucket: call.bucket,
    KeyMarker: '',
    UploadIdMarker: '',
    Prefix: prefix,
    MaxUploads: 1000,
    IsTruncated: false,
    Upload: uploads.map((upload) => ({
      Key: upload.key,
      UploadId: upload.id,
      Initiated: isoDate(upload.initiated),
      StorageClass: 'STANDARD',
    })),
  });
}
