import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createSfnClient } from '../aws-clients';
import type { BulkMode } from '../bulk/bulk-mode';
import type { BulkScanSummary } from '../bulk/report';
import { type BulkScanRequest, checkBulkScanRequest, type RequestFieldNames } from '../bulk/request';
import type { CliSettings } from '../config';
import { InvalidEventError } from '../errors';
import type { CommandIo } from './command-io';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_INFECTED, SCAN_BUCKET_HELP, UsageError } from './usage';

/**
 * `lambda-av scan-bucket s3://BUCKET[/PREFIX]`: starts the deployed bulk scan state machine (or
 * the embedded stack's, through AWS_ENDPOINT_URL_SFN) and, with --wait, follows its Map Run
 * (ListMapRuns, DescribeMapRun) until it ends, then prints the counts from its output.
 */
export async function scanBucketCommand(
  args: string[],
  settings: CliSettings,
  io: CommandIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      mode: { type: 'string' },
      'modified-after': { type: 'string' },
      'modified-before': { type: 'string' },
      'batch-size': { type: 'string' },
      'max-concurrency': { type: 'string' },
      manifest: { type: 'string' },
      account: { type: 'string' },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'state-machine': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(SCAN_BUCKET_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('scan-bucket takes one s3://BUCKET[/PREFIX]');
  const target = parseBucketUrl(positionals[0] as string);
  const stateMachineArn = values['state-machine'] ?? settings.bulkScanStateMachineArn;
  if (!stateMachineArn) {
    throw new UsageError(
      'scan-bucket needs the bulk scan state machine: --state-machine ARN or LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN (the stack output BulkScanStateMachineArn)',
    );
  }
  const request: BulkScanRequest = {
    bucket: target.bucket,
    // The member account owning the bucket (an organization hub); checkRequest checks it.
    ...(values.account ? { account: values.account } : {}),
    ...(target.prefix ? { prefix: target.prefix } : {}),
    ...(values.mode ? { mode: values.mode as BulkMode } : {}),
    ...(values['modified-after'] ? { modifiedAfter: values['modified-after'] } : {}),
    ...(values['modified-before'] ? { modifiedBefore: values['modified-before'] } : {}),
    ...(values['batch-size'] ? { batchSize: whole('--batch-size', values['batch-size']) } : {}),
    ...(values['max-concurrency']
      ? { maxConcurrency: whole('--max-concurrency', values['max-concurrency']) }
      : {}),
    ...(values.manifest ? { manifest: parseObjectUrl(values.manifest) } : {}),
    trigger: 'cli',
  };
  checkRequest(request);
  const sfn = createSfnClient({ endpointOverride: settings.sfnEndpointOverride });
  try {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(request) }),
    );
    if (!values.json) io.out(`Started bulk scan of s3://${target.bucket}/${target.prefix}: ${executionArn}`);
    if (!values.wait) {
      if (values.json) io.out(JSON.stringify({ executionArn, request }));
      return EXIT_CLEAN;
    }
    const ended = await follow(
      sfn,
      executionArn as string,
      settings.pollIntervalMs,
      values.json ? () => {} : io.out,
    );
    if (ended.status !== 'SUCCEEDED') {
      if (values.json)
        io.out(
          JSON.stringify({ executionArn, status: ended.status, error: ended.error, cause: ended.cause }),
        );
      else io.err(`Bulk scan ${ended.status}: ${ended.error ?? ''}: ${ended.cause ?? ''}`);
      return EXIT_ERROR;
    }
    const summary = JSON.parse(ended.output ?? '{}') as BulkScanSummary;
    if (values.json) io.out(JSON.stringify({ executionArn, status: ended.status, summary }));
    else for (const line of formatSummary(summary)) io.out(line);
    if (summary.counts.INFECTED > 0) return EXIT_INFECTED;
    return summary.counts.PROCESSING_ERROR > 0 || summary.failed.objects > 0 ? EXIT_ERROR : EXIT_CLEAN;
  } finally {
    sfn.destroy();
  }
}

interface Ended {
  readonly status: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** Polls the execution and its Map Run, printing the Map Run's item counts whenever they change. */
async function follow(
  sfn: SFNClient,
  executionArn: string,
  intervalMs: number,
  out: (line: string) => void,
): Promise<Ended> {
  let last = '';
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn }));
    const mapRunArn = mapRuns?.[0]?.mapRunArn;
    if (mapRunArn) {
      const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
      const c = run.itemCounts;
      const line = c
        ? `Map Run ${run.status}: ${c.succeeded ?? 0} of ${c.total ?? 0} objects done, ${c.failed ?? 0} failed, ${c.running ?? 0} running, ${c.pending ?? 0} pending`
        : '';
      if (line && line !== last) out(line);
      last = line;
    }
    if (execution.status !== 'RUNNING') {
      return {
        status: execution.status ?? 'UNKNOWN',
        ...(execution.output ? { output: execution.output } : {}),
        ...(execution.error ? { error: execution.error } : {}),
        ...(execution.cause ? { cause: execution.cause } : {}),
      };
    }
    await sleep(intervalMs);
  }
}

export function formatSummary(summary: BulkScanSummary): string[] {
  const c = summary.counts;
  const lines = [
    `Bulk scan of s3://${summary.bucket}/${summary.prefix} (${summary.mode}): ${summary.objects} objects`,
    `  CLEAN ${c.CLEAN}, INFECTED ${c.INFECTED}, UNSCANNABLE ${c.UNSCANNABLE}, SKIPPED ${c.SKIPPED}, PROCESSING_ERROR ${c.PROCESSING_ERROR}`,
    `  left unchanged ${c.UNCHANGED}: ${Object.entries(summary.unchanged)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ')}`,
  ];
  if (summary.failed.batches > 0) {
    lines.push(
      `  NOT SCANNED: ${summary.failed.objects} objects in ${summary.failed.batches} failed batches`,
    );
  }
  for (const infected of summary.infected) {
    lines.push(
      `  INFECTED s3://${summary.bucket}/${infected.key}${infected.signature ? ` ${infected.signature}` : ''}`,
    );
  }
  if (summary.infected.length < c.INFECTED)
    lines.push(`  ... and ${c.INFECTED - summary.infected.length} more in the report`);
  if (summary.report.manifest) lines.push(`Report: s3://${summary.report.bucket}/${summary.report.manifest}`);
  return lines;
}

/** The request's fields as this command's arguments name them. */
const OPTION_NAMES: Partial<Record<keyof BulkScanRequest, string>> = {
  bucket: 'the BUCKET of s3://BUCKET/PREFIX',
  prefix: 'the PREFIX of s3://BUCKET/PREFIX',
  mode: '--mode',
  modifiedAfter: '--modified-after',
  modifiedBefore: '--modified-before',
  batchSize: '--batch-size',
  maxConcurrency: '--max-concurrency',
  manifest: '--manifest',
};
const optionName: RequestFieldNames = (field) => OPTION_NAMES[field] ?? field;

/**
 * Refuses, before anything starts, a request the workflow would refuse: the same rules
 * (checkBulkScanRequest), with the options named as typed.
 */
function checkRequest(request: BulkScanRequest): void {
  try {
    checkBulkScanRequest(request, Date.now(), optionName);
  } catch (error) {
    if (error instanceof InvalidEventError) throw new UsageError(error.message);
    throw error;
  }
}

function parseBucketUrl(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match?.[1]) throw new UsageError(`expected s3://BUCKET[/PREFIX], got ${JSON.stringify(url)}`);
  return { bucket: match[1], prefix: match[2] ?? '' };
}

function parseObjectUrl(url: string): { bucket: string; key: string } {
  const { bucket, prefix } = parseBucketUrl(url);
  if (!prefix)
    throw new UsageError(
      `--manifest expects s3://BUCKET/KEY of an S3 Inventory manifest.json, got ${JSON.stringify(url)}`,
    );
  return { bucket, key: prefix };
}

function whole(name: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new UsageError(`${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}
