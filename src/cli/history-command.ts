import { parseArgs } from 'node:util';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { stateMachineType } from '../client/scan-client';
import type { CliSettings } from '../config';
import { type UnscannableFields, unscannableFields, unscannableOfResult } from '../scan/unscannable';
import type { CommandIo } from './command-io';
import { unscannableNote } from './report';
import { HISTORY_HELP, UsageError } from './usage';

export interface HistoryEntry extends Partial<UnscannableFields> {
  readonly name: string;
  readonly status: string;
  readonly startDate?: string;
  readonly object?: string;
  readonly verdict?: string;
  readonly signature?: string;
  readonly error?: string;
}

/** `lambda-av history`: recent scan executions of the deployed state machine, with their verdicts. */
export async function historyCommand(args: string[], settings: CliSettings, io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'state-machine': { type: 'string' },
      max: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(HISTORY_HELP);
    return 0;
  }
  const stateMachineArn = values['state-machine'] ?? settings.stateMachineArn;
  if (!stateMachineArn)
    throw new UsageError('history needs --state-machine ARN or LAMBDA_AV_STATE_MACHINE_ARN');
  const max = Number(values.max);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw new UsageError(`--max must be a whole number from 1 to 100, got ${JSON.stringify(values.max)}`);
  }
  const sfn = new SFNClient({});
  try {
    if ((await stateMachineType(sfn, stateMachineArn)) === 'EXPRESS') {
      throw new UsageError(
        'history reads Standard workflows only: an Express workflow keeps no execution history in Step Functions. Its executions and verdicts are in its CloudWatch Logs log group (/aws/vendedlogs/states/...-ScanStateMachineLogs-<stack>), which the Step Functions console also shows',
      );
    }
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: max }),
    );
    const entries: HistoryEntry[] = [];
    for (const execution of executions) {
      const detail = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      const input = parse(detail.input) as { bucket?: string; key?: string; detail?: unknown } | undefined;
      const output = parse(detail.output) as
        | {
            status?: string;
            signature?: string;
            error?: string;
            unscannable?: unknown;
            reason?: unknown;
            limit?: unknown;
          }
        | undefined;
      const unscannable = output ? unscannableOfResult(output) : undefined;
      entries.push({
        name: execution.name ?? '',
        status: execution.status ?? '',
        ...(execution.startDate ? { startDate: execution.startDate.toISOString() } : {}),
        ...(input?.bucket ? { object: `s3://${input.bucket}/${input.key}` } : {}),
        ...(output?.status ? { verdict: output.status } : {}),
        ...(output?.signature ? { signature: output.signature } : {}),
        ...(unscannable ? unscannableFields(unscannable) : {}),
        ...(detail.error || output?.error ? { error: detail.error ?? output?.error } : {}),
      });
    }
    if (values.json) {
      io.out(JSON.stringify({ executions: entries }, null, 2));
    } else if (entries.length === 0) {
      io.out('No scan executions yet.');
    } else {
      for (const e of entries) {
        const verdict = e.verdict ?? e.status;
        io.out(
          `${e.startDate ?? ''}  ${verdict}${e.signature ? ` ${e.signature}` : ''}${unscannableNote(e)}  ${e.object ?? e.name}${e.error ? `  (${e.error})` : ''}`,
        );
      }
    }
    return 0;
  } finally {
    sfn.destroy();
  }
}

function parse(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
