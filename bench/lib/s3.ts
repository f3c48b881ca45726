import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type Manifest, objectKey, writeManifest } from '../../src/definitions/manifest';
import type { DefinitionsLocation } from '../../src/definitions/store';
import type { LocalEndpoint } from '../../src/local/protocol/local-credentials';
import { localS3Client } from '../../src/local/s3-server';

export const REPO_ROOT = path.join(__dirname, '..', '..');

/** Starts a TypeScript file of bench/ as a node process of its own (no tsx wrapper process). */
export function spawnTs(file: string, args: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

/** The first line a child writes to stdout, parsed as JSON. */
export function firstLine<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (data: Buffer) => {
      text += data.toString('utf8');
      const end = text.indexOf('\n');
      if (end < 0) return;
      child.stdout?.off('data', onData);
      try {
        resolve(JSON.parse(text.slice(0, end)) as T);
      } catch (error) {
        reject(new Error(`${what} printed ${JSON.stringify(text.slice(0, end))}: ${String(error)}`));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before answering`)));
  });
}

export interface BenchS3 extends LocalEndpoint {
  readonly pid: number;
  /** A client for the benchmark's own set-up requests (uploads, deletes). */
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  putFile(bucket: string, key: string, file: string): Promise<void>;
  putBuffer(bucket: string, key: string, body: Buffer): Promise<void>;
  delete(bucket: string, key: string): Promise<void>;
  stop(): Promise<void>;
}

/** A local stand-in (bench/server-child.ts) in a process of its own on 127.0.0.1. */
export async function startServerChild(
  kind: 's3' | 'eventbridge',
): Promise<LocalEndpoint & { readonly pid: number; stop(): Promise<void> }> {
  const child = spawnTs(path.join(__dirname, '..', 'server-child.ts'), [kind]);
  const { endpoint, credentials } = await firstLine<LocalEndpoint>(child, `the ${kind} process`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    endpoint,
    credentials,
    pid: child.pid ?? 0,
    async stop() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** lambda-av's S3 endpoint (the S3 protocol, SigV4-signed) in a child process on 127.0.0.1. */
export async function startBenchS3(): Promise<BenchS3> {
  const server = await startServerChild('s3');
  const client = localS3Client(server);
  return {
    endpoint: server.endpoint,
    credentials: server.credentials,
    pid: server.pid,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async putFile(bucket, key, file) {
      const { size } = await stat(file);
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size }),
      );
    },
    async putBuffer(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async delete(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

async function sha256Of(file: string): Promise<string> {
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
  return digest.digest('hex');
}

export interface PublishedSet {
  readonly files: number;
  readonly bytes: number;
  readonly keys: readonly string[];
}

/**
 * Publishes a directory of database files the way the updater does: each file under
 * `objects/<sha256>/<name>`, then `manifest.json` naming them (the layout scanners prefer, with
 * SHA-256 checks on download).
 */
export async function publishDefinitions(
  s3: BenchS3,
  location: DefinitionsLocation,
  dir: string,
): Promise<PublishedSet> {
  const now = new Date().toISOString();
  const files: Array<Manifest['files'][number]> = [];
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    const sha256 = await sha256Of(file);
    const key = objectKey(location, sha256, name);
    await s3.putFile(location.bucket, key, file);
    files.push({ name, key, size: (await stat(file)).size, sha256, builtAt: now });
  }
  const version = createHash('sha256')
    .update(files.map((file) => `${file.name}:${file.sha256}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  await writeManifest(
    s3.client,
    location,
    { schema: 1, version: `bench-${version}`, publishedAt: now, builtAt: now, files },
    undefined,
  );
  return {
    files: files.length,
    bytes: files.reduce((sum, file) => sum + file.size, 0),
    keys: files.map((file) => file.key),
  };
}
