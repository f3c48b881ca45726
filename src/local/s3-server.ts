import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

// s3rver ships no type declarations.
const S3rver = require('s3rver') as new (
  options: Record<string, unknown>,
) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

/** The access key s3rver accepts. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalS3Server {
  readonly endpoint: string;
  readonly directory: string;
  stop(): Promise<void>;
}

/**
 * An S3-compatible server (s3rver) in this process on 127.0.0.1, on a free port, storing objects
 * in `directory`, or else in a temporary directory that is removed when it stops.
 */
export async function startLocalS3Server(
  options: { readonly directory?: string } = {},
): Promise<LocalS3Server> {
  // A directory given by the caller is kept; a temporary one is removed on stop.
  const directory = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'lambda-av-s3-')));
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    async stop() {
      await server.close();
      if (!options.directory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** An S3 client for the local server: path-style addressing, checksums only where required. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_S3_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
