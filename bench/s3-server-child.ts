/**
 * lambda-av's S3 endpoint in a process of its own, so the benchmark's S3 is not served from the event loop of the
 * code being measured (in AWS, S3 is another machine). Prints `{"endpoint": ..., "credentials": ...}` once listening;
 * stops when its standard input closes (the parent stopped it or died) or on SIGTERM.
 */
import { startLocalS3Server } from '../src/local/s3-server';

async function main() {
  const server = await startLocalS3Server();
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
