import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../config';
import { createScanFileHandler } from '../handlers/scan-file';
import {
  ensureBucket,
  LOCAL_DEFINITIONS_BUCKET,
  noMetrics,
  publishDefinitionsDirectory,
  quietLogger,
} from '../local-scan/local-definitions';
import type { ScanResult } from '../scan/contract';
import { Scanner } from '../scan/scanner';
import { makeOwnedDir } from '../util/owned-dirs';
import { type LocalLambdaServer, localLambdaClient, startLocalLambda } from './lambda-server';
import { type LocalS3Server, localS3Client, startLocalS3Server } from './s3-server';
import { type ExecutionResult, runLocalExecution, SCAN_STATE_MACHINE } from './step-functions';

export const LOCAL_SCANNER_FUNCTION = 'lambda-av-scanner';
const SCAN_BUCKET = 'lambda-av-scans';

export interface LocalStackOptions {
  /** A directory of ClamAV database files to scan with. */
  readonly definitionsDir: string;
  /** Environment for the scanner's configuration (MAX_FILE_SIZE, status names, ...). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LocalScan {
  readonly result: ScanResult;
  readonly execution: ExecutionResult;
}

/**
 * The whole workflow on one machine: an S3-compatible server, the scanner Lambda's handler with
 * a real clamd behind a local Lambda endpoint, and the scan state machine executed locally. Files
 * are uploaded into a local bucket and scanned exactly as S3 objects are in AWS.
 */
export class LocalStack {
  private constructor(
    private readonly s3Server: LocalS3Server,
    readonly s3: S3Client,
    private readonly lambdaServer: LocalLambdaServer,
    private readonly lambda: LambdaClient,
    readonly scanner: Scanner,
    private readonly workDir: string,
    private readonly maxFileSize: number,
  ) {}

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const workDir = await makeOwnedDir(os.tmpdir(), 'lambda-av-local-');
    const s3Server = await startLocalS3Server();
    const s3 = localS3Client(s3Server.endpoint);
    try {
      await ensureBucket(s3, LOCAL_DEFINITIONS_BUCKET);
      await ensureBucket(s3, SCAN_BUCKET);
      await publishDefinitionsDirectory(s3, LOCAL_DEFINITIONS_BUCKET, options.definitionsDir);
      const config = loadConfig({
        ...options.env,
        CLAMAV_BUCKET_NAME: LOCAL_DEFINITIONS_BUCKET,
        PATH_TO_AV_DEFINITIONS: '',
        AV_WORK_DIR: path.join(workDir, 'av'),
      });
      const scanner = new Scanner({
        config,
        s3,
        logger: quietLogger,
        metrics: noMetrics,
        diesWithParent: true,
      });
      const lambda = new LambdaClient({});
      const handler = createScanFileHandler({ config, scanner, lambda });
      const lambdaServer = await startLocalLambda({ [LOCAL_SCANNER_FUNCTION]: handler });
      const client = localLambdaClient(lambdaServer.endpoint);
      return new LocalStack(s3Server, s3, lambdaServer, client, scanner, workDir, config.maxFileSize);
    } catch (error) {
      s3.destroy();
      await s3Server.stop();
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Uploads a file as an object and runs the scan state machine on it; `signal` aborts the execution. */
  async scanFile(key: string, file: string, signal?: AbortSignal): Promise<LocalScan> {
    const { size } = await stat(file);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: SCAN_BUCKET,
        Key: key,
        Body: createReadStream(file),
        ContentLength: size,
      }),
    );
    const execution = await runLocalExecution(
      SCAN_STATE_MACHINE,
      { bucket: SCAN_BUCKET, key },
      {
        lambda: this.lambda,
        s3: this.s3,
        substitutions: {
          ScannerFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${LOCAL_SCANNER_FUNCTION}`,
          MaxFileSize: String(this.maxFileSize),
        },
        ...(signal ? { signal } : {}),
      },
    );
    if (execution.status !== 'SUCCEEDED') {
      throw new Error(`the scan execution failed: ${execution.error}: ${execution.cause}`);
    }
    return { result: execution.output as ScanResult, execution };
  }

  async stop(): Promise<void> {
    await this.scanner.shutdown();
    this.lambda.destroy();
    await this.lambdaServer.stop();
    this.s3.destroy();
    await this.s3Server.stop();
    await rm(this.workDir, { recursive: true, force: true });
  }
}
