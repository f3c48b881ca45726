import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createSfnClient } from '../aws-clients';
import { scanDirect, scanThroughWorkflow } from '../client/scan-client';
import { type CliSettings, loadConfig } from '../config';
import { forEachLimited } from '../definitions/store';
import { LocalStack } from '../local/stack';
import type { ObjectRef } from '../scan/object-ref';
import { unscannableFields, unscannableOfResult } from '../scan/unscannable';
import { chooseDefinitions } from './definitions-source';
import {
  exitCode,
  type FileResult,
  formatResult,
  formatSummary,
  Progress,
  type Summary,
  summarise,
} from './report';
import { SCAN_HELP, UsageError } from './usage';

export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export async function scanCommand(args: string[], settings: CliSettings, io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      definitions: { type: 'string' },
      'test-signatures': { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
      remote: { type: 'boolean', default: false },
      direct: { type: 'boolean', default: false },
      'state-machine': { type: 'string' },
      function: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(SCAN_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('scan needs at least one PATH (or s3:// object)');
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError(
      `--concurrency must be a whole number from 1 to 64, got ${JSON.stringify(values.concurrency)}`,
    );
  }
  if (values.remote && values.direct) throw new UsageError('choose one of --remote and --direct');
  const names = loadConfig({ CLAMAV_BUCKET_NAME: 'unused', ...io.env }).statusNames;
  const started = performance.now();
  let results: FileResult[];
  let extra: Partial<Summary> = {};
  if (values.remote || values.direct) {
    const objects = positionals.map(parseS3Url);
    results = values.remote
      ? await scanRemote(objects, values['state-machine'] ?? settings.stateMachineArn, concurrency, settings)
      : await scanViaLambda(objects, values.function ?? settings.functionName, concurrency);
  } else {
    const files = await collectFiles(positionals);
    const definitions = await chooseDefinitions(
      {
        testSignatures: values['test-signatures'] ?? false,
        ...(values.definitions ? { definitions: values.definitions } : {}),
      },
      settings,
    );
    if (definitions.testOnly) {
      io.err(
        'NOTE: scanning with generated TEST SIGNATURES: they detect test files (EICAR, ClamAV test files) only.',
      );
    }
    try {
      const local = await scanLocally(files, definitions.dir, concurrency, io.env, !values.json);
      results = local.results;
      extra = {
        definitions: local.definitions ?? definitions.description,
        testSignatures: definitions.testOnly,
      };
    } finally {
      await definitions.release();
    }
  }
  const summary: Summary = {
    ...summarise(results, names, Math.round(performance.now() - started)),
    ...extra,
  };
  if (values.json) {
    io.out(JSON.stringify({ results, summary }, null, 2));
  } else {
    for (const result of results) io.out(formatResult(result));
    io.out(formatSummary(summary));
  }
  return exitCode(summary);
}

async function scanLocally(
  files: readonly string[],
  definitionsDir: string,
  concurrency: number,
  env: CommandIo['env'],
  showProgress: boolean,
): Promise<{ results: FileResult[]; definitions: string | undefined }> {
  const stack = await LocalStack.start({ definitionsDir, env });
  try {
    const prepared = await stack.scanner.prepare();
    const results: FileResult[] = new Array(files.length);
    const progress = Progress.for(files.length, showProgress);
    await forEachLimited(
      files.map((file, index) => ({ file, index })),
      concurrency,
      async ({ file, index }) => {
        const startedAt = performance.now();
        try {
          const { result } = await stack.scanFile(`f${index}/${path.basename(file)}`, file);
          results[index] = fileResult(file, result, startedAt);
        } catch (error) {
          results[index] = failed(file, error, startedAt);
        }
        progress.tick();
      },
    );
    return { results, definitions: prepared.definitions };
  } finally {
    await stack.stop();
  }
}

async function scanRemote(
  objects: ObjectRef[],
  stateMachineArn: string | undefined,
  concurrency: number,
  settings: CliSettings,
) {
  if (!stateMachineArn) {
    throw new UsageError(
      '--remote needs the scan state machine: --state-machine ARN or LAMBDA_AV_STATE_MACHINE_ARN',
    );
  }
  const sfn = createSfnClient({ endpointOverride: settings.sfnEndpointOverride });
  try {
    return await mapLimited(objects, concurrency, async (object) => {
      const startedAt = performance.now();
      try {
        return fileResult(s3Url(object), await scanThroughWorkflow(sfn, stateMachineArn, object), startedAt);
      } catch (error) {
        return failed(s3Url(object), error, startedAt);
      }
    });
  } finally {
    sfn.destroy();
  }
}

async function scanViaLambda(objects: ObjectRef[], functionName: string | undefined, concurrency: number) {
  if (!functionName) {
    throw new UsageError('--direct needs the scanner function: --function NAME or LAMBDA_AV_FUNCTION_NAME');
  }
  const lambda = new LambdaClient({});
  try {
    return await mapLimited(objects, concurrency, async (object) => {
      const startedAt = performance.now();
      try {
        return fileResult(s3Url(object), await scanDirect(lambda, functionName, object), startedAt);
      } catch (error) {
        return failed(s3Url(object), error, startedAt);
      }
    });
  } finally {
    lambda.destroy();
  }
}

function fileResult(
  where: string,
  result: {
    status: string;
    signature?: string;
    error?: string;
    reason?: string;
    unscannable?: true;
    limit?: string;
  },
  startedAt: number,
): FileResult {
  const unscannable = unscannableOfResult(result);
  return {
    path: where,
    status: result.status,
    ...(result.signature ? { signature: result.signature } : {}),
    ...(unscannable ? unscannableFields(unscannable) : {}),
    durationMs: Math.round(performance.now() - startedAt),
    ...(result.error ? { error: `${result.error}: ${result.reason ?? ''}`.trim() } : {}),
  };
}

function failed(where: string, error: unknown, startedAt: number): FileResult {
  const failure = error instanceof Error ? error : new Error(String(error));
  return {
    path: where,
    status: 'PROCESSING_ERROR',
    durationMs: Math.round(performance.now() - startedAt),
    error: `${failure.name}: ${failure.message}`,
  };
}

/** Every regular file under the given paths, directories recursively, in a stable order. */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const visit = async (entry: string) => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(entry);
    } catch {
      throw new UsageError(`no such file or directory: ${entry}`);
    }
    if (info.isDirectory()) {
      for (const name of (await readdir(entry)).sort()) await visit(path.join(entry, name));
    } else if (info.isFile()) {
      files.push(entry);
    }
  };
  for (const entry of paths) await visit(entry);
  if (files.length === 0) throw new UsageError(`no files to scan under ${paths.join(', ')}`);
  return files;
}

export function parseS3Url(url: string): ObjectRef {
  const match = /^s3:\/\/([^/]+)\/(.+)$/s.exec(url);
  if (!match?.[1] || !match[2]) throw new UsageError(`expected s3://BUCKET/KEY, got ${JSON.stringify(url)}`);
  return { bucket: match[1], key: match[2] };
}

function s3Url(object: ObjectRef): string {
  return `s3://${object.bucket}/${object.key}`;
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  await forEachLimited(
    items.map((item, index) => ({ item, index })),
    limit,
    async ({ item, index }) => {
      results[index] = await work(item);
    },
  );
  return results;
}
