import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { RequestRefusal, refuse } from './refusal';
import { EMPTY_SHA256, hmacHex, sameHex, sha256Hex, stringToSign, type Verified } from './sigv4';

/** The `x-amz-content-sha256` values of S3's chunked uploads (aws-chunked content encoding). */
export const STREAMING = {
  signed: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  signedTrailer: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
  unsignedTrailer: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
} as const;

const MAX_LINE = 4096;

/** What a chunked body ended with: the trailing headers (a checksum, by name), if any. */
export interface ChunkedEnd {
  readonly trailers: ReadonlyMap<string, string>;
}

/**
 * Decodes an `aws-chunked` body (S3's "Transferring Payload in Multiple Chunks"), passing on the
 * object's bytes only. With a signed payload every chunk's signature is checked, chained from the
 * request's seed signature (string to sign `AWS4-HMAC-SHA256-PAYLOAD`, date, scope, the previous
 * signature, the empty string's hash and the chunk's hash), and so is the trailer's
 * (`AWS4-HMAC-SHA256-TRAILER`). A bad signature or framing fails the stream: the caller writes the
 * bytes somewhere temporary and keeps them only when the stream ends well.
 */
export class AwsChunkedDecoder extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private remaining = 0;
  private chunkSignature: string | undefined;
  private chunkHash: Hash | undefined;
  private previousSignature: string;
  private decodedLength = 0;
  private readonly trailerLines: string[] = [];
  readonly trailers = new Map<string, string>();

  constructor(
    private readonly mode: (typeof STREAMING)[keyof typeof STREAMING],
    private readonly signature: Verified,
  ) {
    super();
    this.previousSignature = signature.signature;
  }

  /** The number of object bytes decoded so far. */
  get length(): number {
    return this.decodedLength;
  }

  private get signed(): boolean {
    return this.mode !== STREAMING.unsignedTrailer;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    try {
      this.consume();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'done' || this.buffer.length > 0) {
      callback(incomplete('the aws-chunked body ended before its final chunk'));
      return;
    }
    callback();
  }

  private consume(): void {
    for (;;) {
      if (this.state === 'data') {
        if (this.buffer.length === 0) return;
        const take = Math.min(this.remaining, this.buffer.length);
        const data = this.buffer.subarray(0, take);
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        this.decodedLength += take;
        this.chunkHash?.update(data);
        this.push(data);
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      if (this.state === 'done') {
        if (this.buffer.length > 0) throw incomplete('bytes after the end of the aws-chunked body');
        return;
      }
      const line = this.readLine();
      if (line === undefined) return;
      if (this.state === 'data-end') {
        if (line !== '') throw incomplete('a chunk is longer than its declared size');
        this.endChunk();
        this.state = 'size';
      } else if (this.state === 'size') {
        this.startChunk(line);
      } else if (line === '') {
        this.endTrailer();
        this.state = 'done';
      } else {
        this.trailerLines.push(line);
      }
    }
  }

  private readLine(): string | undefined {
    const end = this.buffer.indexOf('\r\n');
    if (end < 0) {
      if (this.buffer.length > MAX_LINE) throw incomplete('an aws-chunked header line is too long');
      return undefined;
    }
    const line = this.buffer.subarray(0, end).toString('latin1');
    this.buffer = this.buffer.subarray(end + 2);
    return line;
  }

  private startChunk(line: string): void {
    const [sizeHex = '', ...extensions] = line.split(';');
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeHex))
      throw incomplete(`not an aws-chunked size line: ${JSON.stringify(line)}`);
    const signature = extensions.find((extension) => extension.startsWith('chunk-signature='));
    if (this.signed && signature === undefined) throw refuse.signature();
    this.chunkSignature = signature?.slice('chunk-signature='.length);
    this.chunkHash = this.signed ? createHash('sha256') : undefined;
    this.remaining = Number.parseInt(sizeHex, 16);
    if (this.remaining > 0) {
      this.state = 'data';
      return;
    }
    // The final, empty chunk: signed like the others, then the trailer (if any) and an empty line.
    this.endChunk();
    this.state = 'trailer';
  }

  private endChunk(): void {
    if (!this.signed || !this.chunkHash) return;
    const { amzDate, scope, signingKey } = this.signature;
    const expected = hmacHex(
      signingKey,
      stringToSign(
        amzDate,
        scope,
        `${this.previousSignature}\n${EMPTY_SHA256}\n${this.chunkHash.digest('hex')}`,
        'AWS4-HMAC-SHA256-PAYLOAD',
      ),
    );
    if (this.chunkSignature === undefined || !sameHex(expected, this.chunkSignature))
      throw refuse.signature();
    this.previousSignature = expected;
    this.chunkHash = undefined;
  }

  private endTrailer(): void {
    let trailerSignature: string | undefined;
    const signedLines: string[] = [];
    for (const line of this.trailerLines) {
      const colon = line.indexOf(':');
      if (colon < 1) throw incomplete(`not a trailing header: ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'x-amz-trailer-signature') {
        trailerSignature = value;
      } else {
        this.trailers.set(name, value);
        signedLines.push(`${name}:${value}\n`);
      }
    }
    if (this.mode !== STREAMING.signedTrailer) return;
    const { amzDate, scope, signingKey } = this.signature;
    const expected = hmacHex(
      signingKey,
      stringToSign(
        amzDate,
        scope,
        `${this.previousSignature}\n${sha256Hex(signedLines.join(''))}`,
        'AWS4-HMAC-SHA256-TRAILER',
      ),
    );
    if (trailerSignature === undefined || !sameHex(expected, trailerSignature)) throw refuse.signature();
  }
}

function incomplete(message: string): RequestRefusal {
  return new RequestRefusal(400, 'IncompleteBody', 'SerializationException', message);
}
