/**
 * The main job on sample files: starts the local stack (an S3-compatible server on 127.0.0.1 and
 * the scanner with a real clamd), uploads a clean file and the EICAR test file created on the
 * fly, scans both through the scanner Lambda's handler and prints each verdict.
 * Signatures: generated test signatures that detect test files only.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../src/config';
import { createScanFileHandler } from '../src/handlers/scan-file';
import { localS3Client, startLocalS3Server } from '../src/local/s3-server';
import { EICAR, writeTestSignatures } from '../src/local/test-signatures';
import { Scanner } from '../src/scanner';

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-demo-'));
  const server = await startLocalS3Server();
  const s3 = localS3Client(server.endpoint);
  const config = loadConfig({ CLAMAV_BUCKET_NAME: 'definitions', AV_WORK_DIR: path.join(work, 'av') });
  const quiet = { info() {}, warn() {}, error() {} };
  const noMetrics = { scanCompleted() {}, daemonStarted() {} };
  const scanner = new Scanner({ config, s3, logger: quiet, metrics: noMetrics });
  try {
    console.log(
      'NOTE: using generated test signatures: they detect test files (EICAR, ClamAV test files) only.',
    );
    await s3.send(new CreateBucketCommand({ Bucket: 'definitions' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }));
    const signatures = path.join(work, 'signatures');
    for (const name of await writeTestSignatures(signatures)) {
      const Body = await readFile(path.join(signatures, name));
      await s3.send(new PutObjectCommand({ Bucket: 'definitions', Key: name, Body }));
    }
    const samples: Record<string, string> = {
      'samples/hello.txt': 'Hello, this file is clean.\n',
      'samples/eicar.com': EICAR,
    };
    for (const [Key, Body] of Object.entries(samples)) {
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key, Body }));
    }
    const handler = createScanFileHandler({ config, scanner, lambda: new LambdaClient({}) });
    const started = performance.now();
    const prepared = await scanner.prepare();
    console.log(`clamd started in ${Math.round(performance.now() - started)} ms (${prepared.definitions})`);
    for (const key of Object.keys(samples)) {
      const result = (await handler({ bucket: 'uploads', key })) as Record<string, unknown>;
      const found = result.signature ? ` ${result.signature}` : '';
      console.log(`${key}: ${result.status}${found} (${result.durationMs} ms)`);
    }
  } finally {
    await scanner.shutdown();
    s3.destroy();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
