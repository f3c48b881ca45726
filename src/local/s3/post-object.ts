import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import type http from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { LocalCredentials } from '../protocol/local-credentials';
import { RequestRefusal } from '../protocol/refusal';
import { ALGORITHM, deriveSigningKey, hmacHex, sameHex } from '../protocol/sigv4';
import type { TagSet } from './object-store';
import type { S3Context } from './s3-context';
import { S3Error } from './s3-error';
import { httpDate, quoted, sendEmpty, sendXml } from './s3-http';
import { tagsFromXml } from './tags';

const FILENAME_VARIABLE = ['$', '{filename}'].join('');

/** Fields a POST policy need not name (S3's "Creating a POST policy"). */
const EXEMPT = new Set(['x-amz-signature', 'file', 'policy']);

/** Is this a browser-style form upload (POST Object), which carries its authentication in its fields? */
export function isFormPost(request: http.IncomingMessage): boolean {
  return (
    request.method === 'POST' &&
    !(request.url ?? '/').includes('?') &&
    /^multipart\/form-data/i.test(request.headers['content-type'] ?? '')
  );
}

/**
 * POST Object, an HTML form upload. It is accepted only with a valid POST policy: signed with the
 * stack's credentials (SigV4: the signature is the HMAC of the base64 policy with the signing key),
 * not expired, and whose conditions cover every field sent and hold for each (`eq`, `starts-with`,
 * `content-length-range`, exact matches). The file is received into tmp/ and committed whole.
 * Cross-origin forms never get here: the request guard refuses them first.
 */
export async function postObject(
  context: S3Context,
  credentials: LocalCredentials,
  request: http.IncomingMessage,
  bucket: string,
  response: http.ServerResponse,
): Promise<void> {
  context.store.find(bucket, '');
  const fields = new Map<string, string>();
  const file = context.store.tempFile();
  let received: { size: number; md5: string; filename: string } | undefined;
  const form = busboy({
    headers: request.headers,
    limits: { fields: 100, fieldSize: 64 * 1024, files: 1, parts: 102 },
  });
  const done = new Promise<void>((resolve, reject) => {
    let upload: Promise<void> | undefined;
    form.on('field', (name, value) => {
      if (upload === undefined) fields.set(name.toLowerCase(), value);
    });
    form.on('file', (_name, stream, info) => {
      try {
        checkPolicy(credentials, bucket, fields, Date.now());
      } catch (error) {
        stream.resume();
        reject(error);
        return;
      }
      const md5 = createHash('md5');
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          md5.update(chunk);
          callback(null, chunk);
        },
      });
      upload = pipeline(stream, tap, createWriteStream(file)).then(() => {
        if ((stream as unknown as { truncated?: boolean }).truncated)
          throw formError('the file was cut short');
        received = { size, md5: md5.digest('hex'), filename: info.filename ?? '' };
      });
    });
    form.on('error', reject);
    form.on('close', () => {
      if (!upload) reject(formError('a POST upload needs a file field, after the other fields'));
      else upload.then(resolve, reject);
    });
  });
  request.pipe(form);
  try {
    await done;
    if (!received) throw formError('no file was received');
    checkLength(fields, received.size);
    // S3 replaces the variable `${filename}` in the key field with the uploaded file's name.
    const key = (fields.get('key') ?? '').replaceAll(FILENAME_VARIABLE, received.filename);
    if (key === '' || Buffer.byteLength(key) > 1024)
      throw formError('the key field must be 1 to 1,024 bytes');
    const tagging = fields.get('tagging');
    const tags: TagSet = tagging ? tagsFromXml(Buffer.from(tagging, 'utf8')) : [];
    const object = context.store.commit(
      bucket,
      key,
      { file },
      {
        size: received.size,
        etag: received.md5,
        headers: Object.fromEntries(
          (
            [
              ['contentType', 'content-type'],
              ['cacheControl', 'cache-control'],
              ['contentDisposition', 'content-disposition'],
              ['contentEncoding', 'content-encoding'],
              ['expires', 'expires'],
            ] as const
          )
            .filter(([, field]) => fields.has(field))
            .map(([name, field]) => [name, fields.get(field) as string]),
        ),
        metadata: Object.fromEntries(
          [...fields]
            .filter(([name]) => name.startsWith('x-amz-meta-'))
            .map(([name, value]) => [name.slice(11), value]),
        ),
        tags,
      },
    );
    context.created(bucket, object, 'Post');
    const location = `/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
    const status = fields.get('success_action_status');
    if (status === '201') {
      sendXml(
        response,
        'PostResponse',
        { Location: location, Bucket: bucket, Key: key, ETag: quoted(object.etag) },
        {},
        201,
      );
    } else {
      sendEmpty(response, status === '200' ? 200 : 204, {
        etag: quoted(object.etag),
        location,
        'last-modified': httpDate(object.lastModified),
      });
    }
  } finally {
    rmSync(file, { force: true });
    request.unpipe(form);
    if (!request.readableEnded) request.resume();
  }
}

/** The policy's signature, expiry and conditions, against the fields before the file. */
function checkPolicy(
  credentials: LocalCredentials,
  bucket: string,
  fields: ReadonlyMap<string, string>,
  now: number,
): void {
  const policy = fields.get('policy');
  const signature = fields.get('x-amz-signature');
  const credential = fields.get('x-amz-credential') ?? '';
  const amzDate = fields.get('x-amz-date') ?? '';
  if (policy === undefined || signature === undefined) {
    throw denied('a POST upload needs a policy and its x-amz-signature (anonymous uploads are refused)');
  }
  if (fields.get('x-amz-algorithm') !== ALGORITHM) throw denied(`x-amz-algorithm must be ${ALGORITHM}`);
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = credential.split('/');
  if (accessKeyId !== credentials.accessKeyId) {
    throw new RequestRefusal(
      403,
      'InvalidAccessKeyId',
      'UnrecognizedClientException',
      `The AWS Access Key Id you provided does not exist in our records (${accessKeyId})`,
    );
  }
  if (service !== 's3' || terminator !== 'aws4_request' || amzDate.slice(0, 8) !== date) {
    throw denied('x-amz-credential must be KEY/date/region/s3/aws4_request, its date that of x-amz-date');
  }
  const expected = hmacHex(deriveSigningKey(credentials.secretAccessKey, date, region, 's3'), policy);
  if (!sameHex(expected, signature)) {
    throw new RequestRefusal(
      403,
      'SignatureDoesNotMatch',
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
  let document: { expiration?: unknown; conditions?: unknown };
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));
  } catch {
    throw denied('Invalid Policy: the policy is not base64-encoded JSON');
  }
  if (typeof document.expiration !== 'string' || !(Date.parse(document.expiration) > now)) {
    throw denied('Invalid according to Policy: Policy expired.');
  }
  if (!Array.isArray(document.conditions)) throw denied('Invalid Policy: no conditions');
  const fieldValue = (name: string) => (name === 'bucket' ? bucket : fields.get(name));
  const covered = new Set<string>(['bucket']);
  for (const condition of document.conditions as unknown[]) {
    const check = conditionOf(condition);
    if (check.kind === 'length') continue;
    covered.add(check.field);
    const value = fieldValue(check.field) ?? '';
    const holds = check.kind === 'eq' ? value === check.value : value.startsWith(check.value);
    if (!holds)
      throw denied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
  }
  const extra = [...fields.keys()].filter(
    (name) => !EXEMPT.has(name) && !name.startsWith('x-ignore-') && !covered.has(name),
  );
  if (extra.length > 0) throw denied(`Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
}

type Condition =
  | { readonly kind: 'eq' | 'starts-with'; readonly field: string; readonly value: string }
  | { readonly kind: 'length'; readonly min: number; readonly max: number };

function conditionOf(condition: unknown): Condition {
  if (Array.isArray(condition)) {
    const [operator, field, value] = condition as unknown[];
    if (operator === 'content-length-range' && typeof field === 'number' && typeof value === 'number') {
      return { kind: 'length', min: field, max: value };
    }
    if (
      (operator === 'eq' || operator === 'starts-with') &&
      typeof field === 'string' &&
      field.startsWith('$') &&
      typeof value === 'string'
    ) {
      return { kind: operator, field: field.slice(1).toLowerCase(), value };
    }
  } else if (typeof condition === 'object' && condition !== null) {
    const entries = Object.entries(condition);
    const [entry] = entries;
    if (entries.length === 1 && entry && typeof entry[1] === 'string') {
      return { kind: 'eq', field: entry[0].toLowerCase(), value: entry[1] };
    }
  }
  throw denied(`Invalid Policy: unknown condition ${JSON.stringify(condition)}`);
}

function checkLength(fields: ReadonlyMap<string, string>, size: number): void {
  const policy = JSON.parse(Buffer.from(fields.get('policy') ?? '', 'base64').toString('utf8')) as {
    conditions: unknown[];
  };
  for (const condition of policy.conditions) {
    const check = conditionOf(condition);
    if (check.kind === 'length' && (size < check.min || size > check.max)) {
      throw new S3Error(
        400,
        size < check.min ? 'EntityTooSmall' : 'EntityTooLarge',
        `Your proposed upload of ${size} bytes is outside the policy's content-length-range ${check.min}-${check.max}`,
      );
    }
  }
}

function denied(message: string): RequestRefusal {
  return new RequestRefusal(403, 'AccessDenied', 'AccessDeniedException', message);
}

function formError(message: string): S3Error {
  return new S3Error(
    400,
    'MalformedPOSTRequest',
    `The body of your POST request is not well-formed multipart/form-data: ${message}`,
  );
}
