/**
 * One fresh scanner instance, as a new Lambda instance is: a process of its own whose memory
 * (node and the clamd it starts) the parent samples. It builds the handler, says `ready`, and on
 * `go` times the first invocation: definitions downloaded from S3, clamd started, first object
 * scanned. It shuts clamd down and exits when its standard input closes.
 */
import type { LocalEndpoint } from '../src/local/protocol/local-credentials';
import { createBenchScanner } from './lib/scanner';
import { stdinLines } from './lib/stdin-lines';

interface ChildOptions {
  readonly s3: LocalEndpoint;
  readonly eventBridge: LocalEndpoint;
  readonly bucket: string;
  readonly prefix: string;
  readonly workDir: string;
  readonly objectBucket: string;
  readonly objectKey: string;
}

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
  const instance = createBenchScanner(options);
  const lines = stdinLines();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  if ((await lines.next()).value !== 'go') return instance.stop();
  const started = performance.now();
  const result = await instance.scan(options.objectBucket, options.objectKey);
  const ms = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({
      ms,
      daemonStartupMs: instance.metrics.daemonStarts[0],
      scanMs: result.durationMs,
      status: result.status,
    })}\n`,
  );
  await lines.next();
  await instance.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
