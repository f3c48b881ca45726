/**
 * A local AWS stand-in in a process of its own, so the benchmark's services are not served from
 * the event loop of the code being measured (in AWS, S3 and EventBridge are other machines):
 * `s3` runs lambda-av's S3 endpoint, `eventbridge` the local PutEvents endpoint. Prints
 * `{"endpoint": ..., "credentials": ...}` (the key pair its requests are signed with) once listening; stops when its standard input closes (the parent stopped it or died) or on SIGTERM.
 */
import { startLocalS3Server } from '../src/local/s3-server';
import { startLocalEventBridge } from '../test/support/eventbridge-server';

async function main() {
  const kind = process.argv[2];
  if (kind !== 's3' && kind !== 'eventbridge') throw new Error(`expected s3 or eventbridge, got ${kind}`);
  const server = kind === 's3' ? await startLocalS3Server() : await startLocalEventBridge();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
  process.stdin.resume();
  process.on('SIGTERM', () => void stop());
  process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint, credentials: server.credentials })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
