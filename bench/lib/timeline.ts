import type { BenchScanner } from './scanner';

/** Where one handler invocation spent its time, in milliseconds (from SDK middleware and a wrapped clamd client). */
export interface Timeline {
  /** Invocation start to the GetObject request being sent: event parsing, readiness check. */
  readonly beforeGet: number;
  /** GetObject until its response headers. */
  readonly getHeaders: number;
  /** GetObject's headers to the body starting into clamd: starting the tag read, opening the socket. */
  readonly getToStream: number;
  /** Body streamed into clamd's socket, to clamd's verdict. */
  readonly streamAndScan: number;
  /** GetObjectTagging (issued beside the scan), start to end. */
  readonly tagRead: number;
  /** Verdict to the tag write being sent: waiting for the tag read, merging. */
  readonly verdictToPut: number;
  /** PutObjectTagging. */
  readonly tagWrite: number;
  /** Tag write done to the handler returning. */
  readonly afterPut: number;
}

/** One zINSTREAM: until the last byte was handed to the socket, and from there to the verdict. */
export interface StreamSplit {
  readonly transfer: number;
  /** clamd scanning the file it wrote the stream to, after the stream ended. */
  readonly afterStream: number;
}

interface Span {
  readonly name: string;
  readonly start: number;
  end: number;
  streamEnd?: number;
}

async function* tap(source: AsyncIterable<Uint8Array>, span: Span): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) yield chunk;
  span.streamEnd = performance.now();
}

/**
 * Records the S3 requests and the clamd stream of the scanner's calls while `begin` is active.
 * Bench-side instrumentation only: a middleware on the scanner's own S3 client and a wrapper
 * around its clamd client's `scanStream` (which, while recording, notes when the source ended).
 */
export function instrument(instance: BenchScanner) {
  let spans: Span[] | undefined;
  instance.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const span: Span = { name: String(context.commandName), start: performance.now(), end: 0 };
      try {
        return await next(args);
      } finally {
        span.end = performance.now();
        spans?.push(span);
      }
    },
    { step: 'initialize', name: 'benchTimeline' },
  );
  const client = instance.scanner.engine.daemon.client;
  const scanStream = client.scanStream.bind(client);
  client.scanStream = async (source, options) => {
    if (!spans) return scanStream(source, options);
    const span: Span = { name: 'scanStream', start: performance.now(), end: 0 };
    try {
      return await scanStream(tap(source, span), options);
    } finally {
      span.end = performance.now();
      spans?.push(span);
    }
  };
  return {
    begin(): void {
      spans = [];
    },
    /** What was recorded since `begin`: the handler's timeline (when it made every call) and its stream. */
    end(entry: number, exit: number): { timeline?: Timeline; stream?: StreamSplit } {
      const recorded = spans ?? [];
      spans = undefined;
      const find = (name: string) => recorded.find((span) => span.name === name);
      const get = find('GetObjectCommand');
      const scan = find('scanStream');
      const read = find('GetObjectTaggingCommand');
      const put = find('PutObjectTaggingCommand');
      const stream =
        scan?.streamEnd !== undefined
          ? { transfer: scan.streamEnd - scan.start, afterStream: scan.end - scan.streamEnd }
          : undefined;
      if (!get || !scan || !read || !put) return stream ? { stream } : {};
      return {
        ...(stream ? { stream } : {}),
        timeline: {
          beforeGet: get.start - entry,
          getHeaders: get.end - get.start,
          getToStream: scan.start - get.end,
          streamAndScan: scan.end - scan.start,
          tagRead: read.end - read.start,
          verdictToPut: put.start - scan.end,
          tagWrite: put.end - put.start,
          afterPut: exit - put.end,
        },
      };
    },
  };
}
