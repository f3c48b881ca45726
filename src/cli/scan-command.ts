import { parseArgs } from 'node:util';
import { type CliSettings, type Config, loadConfig } from '../config';
import type { ObjectRef } from '../scan/contract';
import type { CommandIo } from './command-io';
import { chooseDefinitions } from './definitions-source';
import { type WalkEntry, walkFiles } from './file-walk';
import type { ScanRun } from './local-scan';
import { exitCode, ScanReport } from './report';
import { EXIT_INTERRUPTED, SCAN_HELP, UsageError } from './usage';

/**
 * Sessions with clamd at once for direct local scans: more than clamd's 10 threads, so a thread
 * that finishes finds the next stream already read (measured on 2 cores, 10,000 small files:
 * 16 sessions 2.3-2.4 s, 8 sessions 2.5-2.6 s, 4 sessions 2.7-2.8 s).
 */
export const DEFAULT_CONCURRENCY = 16;
/** Executions at once with --workflow, --remote and --direct. */
const DEFAULT_WORKFLOW_CONCURRENCY = 4;

export async function scanCommand(args: string[], settings: CliSettings, io: CommandIo): Promise<number> {
  const { values, positionals, tokens } = parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: {
      definitions: { type: 'string' },
      'test-signatures': { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      json: { type: 'boolean', default: false },
      workflow: { type: 'boolean', default: false },
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
  const modes = [values.workflow, values.remote, values.direct].filter(Boolean).length;
  if (modes > 1) throw new UsageError('choose one of --workflow, --remote and --direct');
  const throughWorkflow = values.workflow || values.remote || values.direct;
  const concurrency = parseConcurrency(
    values.concurrency,
    throughWorkflow ? DEFAULT_WORKFLOW_CONCURRENCY : DEFAULT_CONCURRENCY,
  );
  // The scanner's settings (MAX_FILE_SIZE, status names, timeouts) as the Lambda reads them; the
  // definitions bucket is not used here.
  const config = loadConfig({ ...io.env, CLAMAV_BUCKET_NAME: 'unused' });
  const started = performance.now();
  const reportFor = () =>
    new ScanReport(io, { json: values.json ?? false, names: config.statusNames, progress: true });

  if (values.remote || values.direct) {
    const objects = positionals.map(parseS3Url);
    const report = reportFor();
    const options = { objects, concurrency, report, processingError: config.statusNames.PROCESSING_ERROR };
    const remote = await import('./remote-scan');
    if (values.remote)
      await remote.scanRemote(options, values['state-machine'] ?? settings.stateMachineArn, settings);
    else await remote.scanViaLambda(options, values.function ?? settings.functionName);
    return exitCode(report.finish(elapsed(started)));
  }

  // File names as the bytes given (src/cli/argument-bytes.ts), not as Node decoded them.
  const paths = tokens.flatMap((token) =>
    token.kind === 'positional' ? [io.argumentBytes?.[token.index] ?? Buffer.from(token.value)] : [],
  );
  const entries = walkFiles(paths);
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
    const report = reportFor();
    const run = await scanLocal(values.workflow ?? false, {
      entries,
      definitionsDir: definitions.dir,
      config,
      concurrency,
      report,
      io,
      settings,
    });
    const summary = report.finish(elapsed(started), {
      definitions: run.definitions ?? definitions.description,
      testSignatures: definitions.testOnly,
      ...(run.interrupted ? { interrupted: true } : {}),
    });
    if (run.interrupted) {
      const why = io.signal?.reason === 'SIGPIPE' ? 'the output was closed (broken pipe)' : 'interrupted';
      io.err(`lambda-av: ${why}: clamd stopped and temporary files removed`);
      return EXIT_INTERRUPTED;
    }
    return exitCode(summary);
  } finally {
    await definitions.release();
  }
}

async function scanLocal(
  throughWorkflow: boolean,
  options: {
    entries: AsyncIterator<WalkEntry>;
    definitionsDir: string;
    config: Config;
    concurrency: number;
    report: ScanReport;
    io: CommandIo;
    settings: CliSettings;
  },
): Promise<ScanRun> {
  const { io, config } = options;
  if (throughWorkflow) {
    const { scanFilesThroughWorkflow } = await import('./workflow-scan');
    return scanFilesThroughWorkflow({
      ...options,
      env: io.env,
      signal: io.signal,
      processingError: config.statusNames.PROCESSING_ERROR,
    });
  }
  const { scanFilesLocally } = await import('./local-scan');
  return scanFilesLocally({ ...options, workRoot: options.settings.scanTempDir, signal: io.signal });
}

function parseConcurrency(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const concurrency = Number(value);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 64, got ${JSON.stringify(value)}`);
  }
  return concurrency;
}

export function parseS3Url(url: string): ObjectRef {
  const match = /^s3:\/\/([^/]+)\/(.+)$/s.exec(url);
  if (!match?.[1] || !match[2]) throw new UsageError(`expected s3://BUCKET/KEY, got ${JSON.stringify(url)}`);
  return { bucket: match[1], key: match[2] };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
