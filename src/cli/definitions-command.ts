import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createS3Client } from '../aws-clients';
import type { CliSettings } from '../config';
import { IMPORT_PREFIX } from '../definitions/location';
import type { UpdateResult } from '../definitions/publish';
import { isDatabaseFile } from '../definitions/store';
import { RemoteError } from '../errors';
import type { CommandIo } from './command-io';
import { DEFINITIONS_HELP, UsageError } from './usage';

const IMPORT_TIMEOUT_MS = 20 * 60_000;

/**
 * `lambda-av definitions publish DIR`: brings a set of ClamAV database files (copied from a
 * machine where freshclam works) to the deployed scanners. The files are staged under
 * `lambda-av-import/<id>/` in the definitions bucket, where operators may write and scanners
 * cannot read; the updater, the only writer of published sets, then verifies that the set loads
 * in ClamAV, publishes it in its own layout and removes the staged copy (src/definitions/import.ts).
 */
export async function definitionsCommand(
  args: string[],
  settings: CliSettings,
  io: CommandIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      'state-machine': { type: 'string' },
      function: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(DEFINITIONS_HELP);
    return 0;
  }
  const [action, dir, ...extra] = positionals;
  if (action !== 'publish')
    throw new UsageError(`definitions takes 'publish DIR', got ${JSON.stringify(action ?? '')}`);
  if (dir === undefined || extra.length > 0) throw new UsageError('definitions publish takes one directory');
  const bucket = values.bucket ?? settings.definitionsBucket;
  if (!bucket) throw new UsageError('definitions publish needs --bucket NAME or CLAMAV_BUCKET_NAME');
  const prefix = (values.prefix ?? settings.definitionsPrefix ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix === '') {
    throw new UsageError(
      'definitions publish needs the definitions prefix (--prefix or PATH_TO_AV_DEFINITIONS): with the whole bucket as definitions, only the updater may write anywhere in it',
    );
  }
  const stateMachineArn = values['state-machine'] ?? settings.updateStateMachineArn;
  const functionName = values.function ?? settings.updaterFunctionName;
  if (!stateMachineArn && !functionName) {
    throw new UsageError(
      'definitions publish needs the update state machine (--state-machine ARN or LAMBDA_AV_UPDATE_STATE_MACHINE_ARN) or the updater (--function NAME or LAMBDA_AV_UPDATER_FUNCTION_NAME)',
    );
  }

  const files = await databaseFiles(dir);
  const id = `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(4).toString('hex')}`;
  const staging = `${IMPORT_PREFIX}/${id}/`;
  const s3 = createS3Client();
  try {
    for (const file of files) await upload(s3, bucket, `${staging}${path.basename(file)}`, file);
  } finally {
    s3.destroy();
  }
  if (!values.json)
    io.err(
      `Staged ${files.length} file(s) at s3://${bucket}/${staging}; the updater verifies and publishes them.`,
    );
  const request = { import: { prefix: staging } };
  const result = stateMachineArn
    ? await throughWorkflow(stateMachineArn, `import-${id}`, request)
    : await throughUpdater(functionName as string, request);
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
  } else {
    io.out(
      `${result.changed ? 'Published' : 'Already published'}: definitions ${result.version} (built ${result.builtAt}, ${result.ageHours} h old)`,
    );
    for (const file of result.files)
      io.out(`  ${file.name}${file.version ? ` version ${file.version}` : ''}, ${file.size} bytes`);
    if (result.imported?.ignored.length)
      io.out(`Not database files, ignored: ${result.imported.ignored.join(', ')}`);
  }
  return 0;
}

/** The directory's ClamAV database files (not its subdirectories); at least one. */
async function databaseFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new UsageError(`cannot read ${dir}: ${(error as Error).message}`);
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (isDatabaseFile(name) && (await stat(path.join(dir, name))).isFile()) files.push(path.join(dir, name));
  }
  if (files.length === 0) {
    throw new UsageError(`no ClamAV database files in ${dir} (expected main.cvd, daily.cld, *.ndb, ...)`);
  }
  return files;
}

async function upload(s3: S3Client, bucket: string, key: string, file: string): Promise<void> {
  const { size } = await stat(file);
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size }),
  );
}

/** Starts the update workflow on the import request and waits for its result. */
async function throughWorkflow(
  stateMachineArn: string,
  name: string,
  request: unknown,
): Promise<UpdateResult> {
  const sfn = new SFNClient({});
  try {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(request) }),
    );
    const deadline = Date.now() + IMPORT_TIMEOUT_MS;
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status === 'SUCCEEDED') return JSON.parse(execution.output ?? 'null') as UpdateResult;
      if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
        throw new RemoteError(
          execution.error ?? 'ImportFailed',
          `the update workflow ${executionArn} ended ${execution.status}: ${causeOf(execution.cause)}`,
        );
      }
      if (Date.now() > deadline) throw new RemoteError('Timeout', `gave up waiting for ${executionArn}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    sfn.destroy();
  }
}

/** Invokes the updater directly on the import request. */
async function throughUpdater(functionName: string, request: unknown): Promise<UpdateResult> {
  const lambda = new LambdaClient({});
  try {
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(request)) }),
    );
    const payload = JSON.parse(Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8') || 'null');
    if (response.FunctionError) {
      const { errorType, errorMessage } = (payload ?? {}) as { errorType?: string; errorMessage?: string };
      throw new RemoteError(errorType ?? 'Unhandled', errorMessage ?? 'the updater failed');
    }
    return payload as UpdateResult;
  } finally {
    lambda.destroy();
  }
}

/** A Lambda task's cause is the function's error payload: its message is what to show. */
function causeOf(cause: string | undefined): string {
  try {
    return (JSON.parse(cause ?? '') as { errorMessage?: string }).errorMessage ?? cause ?? '';
  } catch {
    return cause ?? '';
  }
}
