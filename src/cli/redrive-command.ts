import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { CliSettings } from '../config';
import { type RedriveTarget, redriveUploadEvents } from '../redrive/redrive';
import type { CommandIo } from './command-io';
import { stackOutputs } from './stack-outputs';
import { REDRIVE_HELP, UsageError } from './usage';

/**
 * `lambda-av redrive`: starts the scans of the upload events EventBridge could not deliver for a
 * day (the upload rules' dead-letter queue). Exit 0 when the queue is empty afterwards, 1 when
 * messages were left in it (each reported), 2 on an error.
 */
export async function redriveCommand(args: string[], _settings: CliSettings, io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      stack: { type: 'string' },
      'dead-letter-queue': { type: 'string' },
      'state-machine': { type: 'string' },
      'scan-queue': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(REDRIVE_HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`redrive takes no arguments, got ${JSON.stringify(positionals)}`);
  const outputs = values.stack ? await stackOutputs(values.stack) : {};
  const deadLetterQueueUrl = values['dead-letter-queue'] ?? outputs.UploadDeadLetterQueueUrl;
  const scanQueue = values['scan-queue'] ?? outputs.ScanQueueUrl;
  const stateMachine = values['state-machine'] ?? outputs.ScanStateMachineArn;
  if (!deadLetterQueueUrl || (!scanQueue && !stateMachine)) {
    throw new UsageError(
      'redrive needs --stack NAME (its outputs name the queues and the state machine), or --dead-letter-queue URL with --state-machine ARN (Standard) or --scan-queue URL (Express)',
    );
  }
  const target: RedriveTarget = scanQueue
    ? { kind: 'queue', queueUrl: scanQueue }
    : { kind: 'state-machine', stateMachineArn: stateMachine as string };
  const sqs = new SQSClient({});
  const sfn = new SFNClient({});
  try {
    const outcome = await redriveUploadEvents({ sqs, sfn }, deadLetterQueueUrl, target);
    if (values.json) io.out(JSON.stringify(outcome, null, 2));
    else {
      for (const upload of outcome.redriven) io.out(`s3://${upload.bucket}/${upload.key}: scan started`);
      for (const message of outcome.left)
        io.out(`message ${message.messageId} left in the queue: ${message.reason}`);
      io.out(`${outcome.redriven.length} upload event(s) redriven, ${outcome.left.length} left in the queue`);
    }
    return outcome.left.length > 0 ? 1 : 0;
  } finally {
    sqs.destroy();
    sfn.destroy();
  }
}
