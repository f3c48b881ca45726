import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { CliSettings } from '../config';
import { LocalStack, STACK_BUCKETS } from '../local/stack';
import type { CommandIo } from './command-io';
import { chooseDefinitions, type DefinitionsSource } from './definitions-source';
import { SERVE_HELP, UsageError } from './usage';

const DEFAULT_PORT = 9600;
const DEFAULT_BUCKET = 'uploads';

/** `lambda-av serve`: the embedded stack in the foreground until Ctrl-C. */
export async function serveCommand(args: string[], settings: CliSettings, io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      bucket: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      definitions: { type: 'string' },
      'test-signatures': { type: 'boolean', default: false },
      'write-env': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no PATH, got ${positionals.join(' ')}`);
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_531) {
    throw new UsageError(`--port must be 0 or a port number up to 65531, got ${JSON.stringify(values.port)}`);
  }
  const buckets = values.bucket ?? [DEFAULT_BUCKET];
  for (const bucket of buckets) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
      throw new UsageError(`--bucket: not a valid bucket name: ${JSON.stringify(bucket)}`);
    if (STACK_BUCKETS.includes(bucket))
      throw new UsageError(`--bucket: ${bucket} is one of the stack's own buckets, never scanned on upload`);
  }
  const { signal } = io;
  if (!signal) throw new UsageError('serve runs until Ctrl-C, which this caller cannot send');
  let stopping = false;
  const stopRequested = new Promise<void>((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        stopping = true;
        resolve();
      },
      { once: true },
    );
  });

  const sources: DefinitionsSource[] = [];
  const explicit = values['test-signatures'] || values.definitions !== undefined;
  const choose = async (testSignatures: boolean) => {
    const source = await chooseDefinitions(
      { testSignatures, ...(values.definitions !== undefined ? { definitions: values.definitions } : {}) },
      settings,
    );
    sources.push(source);
    if (source.testOnly) {
      io.err(
        'NOTE: serving with generated TEST SIGNATURES: they detect test files (EICAR, ClamAV test files) only.',
      );
    }
    return source.dir;
  };
  let stack: LocalStack;
  try {
    stack = await LocalStack.start({
      ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
      port,
      buckets,
      definitions: {
        ...(explicit ? { replaceWith: await choose(values['test-signatures'] ?? false) } : {}),
        whenNonePublished: () => choose(false),
      },
      env: io.env,
      historyPage: true,
      onExecutionEnded: (line) => io.out(`${new Date().toISOString()}  ${line}`),
    });
  } finally {
    // Published into the local bucket by now: generated test signatures are not needed any more.
    for (const source of sources) await source.release();
  }
  try {
    const environment = stack.environment(buckets);
    // Written before the environment is printed: whoever waits for the printed lines finds the file.
    if (values['write-env'] !== undefined) {
      const text = Object.entries(environment).map(([name, value]) => `${name}=${value}\n`);
      await writeFile(values['write-env'], text.join(''));
    }
    io.out(
      [
        'lambda-av serve: the local stack is running on 127.0.0.1 (Ctrl-C stops it)',
        `  scan history     ${stack.endpoints.page ?? ''}`,
        `  S3               ${stack.endpoints.s3}  (scanned buckets: ${buckets.join(', ')}; an upload starts a scan)`,
        `  Step Functions   ${stack.endpoints.sfn}  (scan and update-definitions state machines)`,
        `  Lambda           ${stack.endpoints.lambda}  (the scanner and the updater)`,
        `  CloudWatch       ${stack.endpoints.cloudwatch}  (the update workflow's canary metrics)`,
        `  definitions      ${stack.definitions ?? 'unknown'}`,
        `  data             ${values['data-dir'] ?? 'a temporary directory, removed on exit (--data-dir keeps it)'}`,
        '',
        '# The environment for your application (AWS SDKs, lambda-av, and the AWS CLI with --endpoint-url).',
        '# Every endpoint requires requests signed (SigV4) with these credentials, and refuses web pages.',
        ...Object.entries(environment).map(([name, value]) => `export ${name}=${value}`),
        '',
      ].join('\n'),
    );
    if (!stopping) await stopRequested;
    io.err('lambda-av serve: stopping');
    return 0;
  } finally {
    await stack.stop();
  }
}
