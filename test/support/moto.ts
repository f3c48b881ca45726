import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { CreateBucketCommand, GetObjectTaggingCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { newLocalCredentials } from '../../src/local/protocol/local-credentials';
import { localS3Client } from '../../src/local/s3-server';
import type { LocalS3 } from './s3';

/**
 * moto's server (`moto_server`, installed by scripts/setup.sh where missing): AWS services as moto
 * implements them, on 127.0.0.1. It keeps object versions (lambda-av's own S3 endpoint keeps
 * none), enforces S3's 10-tag limit, honours the Tagging header of PutObject and pages listings;
 * it also serves Secrets Manager, SSM and EventBridge. A judge of S3's semantics the project did
 * not write. moto checks no signature: any key pair signs for it.
 */
export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/**
 * Starts moto_server on a free port of 127.0.0.1; resolves once it says it is serving. With
 * `unauthenticatedActions`, moto lets that many requests through unchecked, then checks each
 * request's signature and identity policies (INITIAL_NO_AUTH_ACTION_COUNT): a test creates its
 * identities in those first requests.
 */
export async function startMoto(options: { unauthenticatedActions?: number } = {}): Promise<Moto> {
  const port = await freePort();
  const auth =
    options.unauthenticatedActions === undefined
      ? {}
      : { INITIAL_NO_AUTH_ACTION_COUNT: String(options.unauthenticatedActions) };
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // No credentials or endpoints of the caller leak into moto; it answers whatever is asked.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...auth },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    let said = '';
    const listen = (chunk: Buffer) => {
      said += chunk.toString();
      // Werkzeug's line once the socket is bound.
      if (said.includes(`Running on ${endpoint}`)) resolve();
    };
    child.stdout?.on('data', listen);
    child.stderr?.on('data', listen);
    child.once('exit', (code) => reject(new Error(`moto_server exited (${code}) before serving: ${said}`)));
    child.once('error', reject);
  });
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** moto's S3, shaped as the tests' LocalS3 (test/support/s3.ts). */
export async function startMotoS3(): Promise<LocalS3 & { readonly moto: Moto }> {
  const moto = await startMoto();
  const credentials = newLocalCredentials();
  const client = localS3Client({ endpoint: moto.endpoint, credentials });
  return {
    moto,
    endpoint: moto.endpoint,
    credentials,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, key, body, tags) {
      // moto honours the Tagging header of PutObject, as S3 does.
      const tagging = tags ? new URLSearchParams(tags).toString() : undefined;
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ...(tagging ? { Tagging: tagging } : {}),
        }),
      );
    },
    async tagsOf(bucket, key) {
      const response = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      return Object.fromEntries((response.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    },
    async backdate() {
      throw new Error("moto keeps its own LastModified: backdate needs lambda-av's S3 endpoint");
    },
    async stop() {
      client.destroy();
      await moto.stop();
    },
  };
}
