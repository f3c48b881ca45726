import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsChunkedDecoder, STREAMING } from '../protocol/aws-chunked';
import type { AwsRequest } from '../protocol/aws-server';
import { RequestRefusal, refuse } from '../protocol/refusal';
import { type ChecksumAlgorithm, type Digest, isChecksumAlgorithm, newDigest } from './checksums';
import { S3Error, s3Errors } from './s3-error';

/** S3's largest single PUT (and part): 5 GiB. */
const MAX_SINGLE_UPLOAD = 5 * 2 ** 30;

/** Bytes received and checked, in a file of tmp/ that the caller commits or removes. */
export interface Received {
  readonly file: string;
  readonly size: number;
  readonly md5Hex: string;
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
}

/**
 * Receives a request's body into `file`, checking everything the client vouched for: the signed
 * payload hash (`x-amz-content-sha256`), each chunk's signature of an aws-chunked body and its
 * trailer, the decoded length, `Content-MD5`, and a flexible checksum (`x-amz-checksum-*`, as a
 * header or a trailer). The file is removed when any check fails or the client goes away, so
 * nothing half-received or unverified is ever kept.
 */
export async function receiveBody(request: AwsRequest, file: string): Promise<Received> {
  const { headers } = request;
  const declaredLength = Number(
    headers.get('x-amz-decoded-content-length') ?? headers.get('content-length') ?? 0,
  );
  if (declaredLength > MAX_SINGLE_UPLOAD) {
    throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
  }
  const payloadHash = request.signature.payloadHash;
  const decoder = decoderFor(payloadHash, request);
  const sha256 = /^[0-9a-f]{64}$/.test(payloadHash) ? createHash('sha256') : undefined;
  const md5 = createHash('md5');
  const algorithm = checksumAlgorithm(headers);
  const checksum: Digest | undefined = algorithm ? newDigest(algorithm) : undefined;
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > MAX_SINGLE_UPLOAD) {
        callback(new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size'));
        return;
      }
      md5.update(chunk);
      sha256?.update(chunk);
      checksum?.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    // The raw body, its aws-chunked framing removed and verified when it has one.
    if (decoder) await pipeline(bodyOf(request), decoder, tap, createWriteStream(file));
    else await pipeline(bodyOf(request), tap, createWriteStream(file));
    if (sha256 && sha256.digest('hex') !== payloadHash) throw refuse.payloadHash();
    if (decoder && headers.has('x-amz-decoded-content-length') && size !== declaredLength) {
      throw new S3Error(
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header',
      );
    }
    const md5Bytes = md5.digest();
    const contentMd5 = headers.get('content-md5');
    if (contentMd5 !== undefined && contentMd5 !== md5Bytes.toString('base64'))
      throw s3Errors.badDigest('Content-MD5');
    let verified: Received['checksum'];
    if (algorithm && checksum) {
      const value = await checksum.digest();
      const given =
        headers.get(`x-amz-checksum-${algorithm}`) ?? decoder?.trailers.get(`x-amz-checksum-${algorithm}`);
      if (given === undefined)
        throw s3Errors.invalidRequest(`x-amz-checksum-${algorithm} was announced but not sent`);
      if (given !== value) throw s3Errors.badDigest(`x-amz-checksum-${algorithm}`);
      verified = { algorithm, value };
    }
    return { file, size, md5Hex: md5Bytes.toString('hex'), ...(verified ? { checksum: verified } : {}) };
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  }
}

/** A request's small body (an XML document), checked the same way, in memory. */
export async function receiveSmallBody(request: AwsRequest, limit = 2 * 2 ** 20): Promise<Buffer> {
  const decoder = decoderFor(request.signature.payloadHash, request);
  const chunks: Buffer[] = [];
  let size = 0;
  const collect = new PassThrough();
  collect.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) collect.destroy(refuse.tooLarge(limit));
    else chunks.push(chunk);
  });
  if (decoder) await pipeline(bodyOf(request), decoder, collect);
  else await pipeline(bodyOf(request), collect);
  const body = Buffer.concat(chunks);
  const payloadHash = request.signature.payloadHash;
  if (/^[0-9a-f]{64}$/.test(payloadHash) && createHash('sha256').update(body).digest('hex') !== payloadHash) {
    throw refuse.payloadHash();
  }
  const contentMd5 = request.headers.get('content-md5');
  if (contentMd5 !== undefined && contentMd5 !== createHash('md5').update(body).digest('base64')) {
    throw s3Errors.badDigest('Content-MD5');
  }
  return body;
}

/**
 * The request's body as a stream of its own: a failed check ends that stream, not the request, so
 * the refusal can still be answered (the rest of the body is read and dropped). A client that goes
 * away mid-body fails it.
 */
function bodyOf(request: AwsRequest): Readable {
  const { raw } = request;
  const body = new PassThrough();
  raw.pipe(body);
  raw.on('close', () => {
    if (!raw.complete) body.destroy(new Error('the client closed the connection before the body ended'));
  });
  body.on('close', () => {
    raw.unpipe(body);
    if (!raw.readableEnded) raw.resume();
  });
  return body;
}

function decoderFor(payloadHash: string, request: AwsRequest): AwsChunkedDecoder | undefined {
  if (payloadHash === 'UNSIGNED-PAYLOAD' || /^[0-9a-f]{64}$/.test(payloadHash)) return undefined;
  const mode = Object.values(STREAMING).find((value) => value === payloadHash);
  if (!mode) {
    throw new RequestRefusal(
      400,
      'InvalidArgument',
      'InvalidRequestException',
      `x-amz-content-sha256 must be the payload's SHA-256, UNSIGNED-PAYLOAD or one of ${Object.values(STREAMING).join(', ')}; got ${JSON.stringify(payloadHash)}`,
    );
  }
  if (request.signature.mechanism !== 'header') {
    throw s3Errors.invalidRequest(
      'a streaming (aws-chunked) upload must be signed with the Authorization header',
    );
  }
  return new AwsChunkedDecoder(mode, request.signature);
}

/** The flexible checksum a request sends, by its header, its announced trailer or its algorithm header. */
function checksumAlgorithm(headers: ReadonlyMap<string, string>): ChecksumAlgorithm | undefined {
  const named = [...headers.keys()]
    .filter(
      (name) =>
        name.startsWith('x-amz-checksum-') &&
        name !== 'x-amz-checksum-algorithm' &&
        name !== 'x-amz-checksum-type',
    )
    .map((name) => name.slice('x-amz-checksum-'.length));
  const trailer = headers.get('x-amz-trailer')?.toLowerCase();
  const candidates = [...named, ...(trailer?.startsWith('x-amz-checksum-') ? [trailer.slice(15)] : [])];
  for (const candidate of candidates) {
    if (!isChecksumAlgorithm(candidate)) {
      throw s3Errors.invalidRequest(`the checksum algorithm ${candidate} is not one S3 supports`);
    }
  }
  const [first] = candidates;
  return first as ChecksumAlgorithm | undefined;
}
