import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** Where the upload events in the dead-letter queue go again. */
export type RedriveTarget =
  | { readonly kind: 'state-machine'; readonly stateMachineArn: string }
  | { readonly kind: 'queue'; readonly queueUrl: string };

export interface RedriveOutcome {
  /** Upload events that now start a scan, by bucket and key. */
  readonly redriven: ReadonlyArray<{ readonly bucket: string; readonly key: string }>;
  /** Messages left in the queue: not an upload event, or a start that failed. */
  readonly left: ReadonlyArray<{ readonly messageId: string; readonly reason: string }>;
}

/** While a message is being redriven it stays hidden from other readers. */
const VISIBILITY_SECONDS = 120;

/**
 * Takes every upload event out of the upload rules' dead-letter queue and starts its scan again:
 * a Standard scan machine gets an execution named after the message (a redrive interrupted
 * between starting and deleting starts nothing twice), an Express stack's queue gets the event
 * back. A message is deleted only once its scan is started. Anything that is not an S3 "Object
 * Created" event stays in the queue and is reported, as does a start that failed.
 */
export async function redriveUploadEvents(
  clients: { readonly sqs: SQSClient; readonly sfn: SFNClient },
  deadLetterQueueUrl: string,
  target: RedriveTarget,
): Promise<RedriveOutcome> {
  const redriven: Array<{ bucket: string; key: string }> = [];
  const left: Array<{ messageId: string; reason: string }> = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: VISIBILITY_SECONDS,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return { redriven, left };
    for (const message of Messages) {
      const messageId = message.MessageId ?? '';
      const upload = uploadOf(message);
      if (typeof upload === 'string') {
        left.push({ messageId, reason: upload });
        continue;
      }
      try {
        await start(clients, target, messageId, message.Body ?? '');
      } catch (error) {
        left.push({ messageId, reason: `${(error as Error).name}: ${(error as Error).message}` });
        continue;
      }
      await clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      redriven.push(upload);
    }
  }
}

async function start(
  clients: { readonly sqs: SQSClient; readonly sfn: SFNClient },
  target: RedriveTarget,
  messageId: string,
  body: string,
): Promise<void> {
  if (target.kind === 'queue') {
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: target.queueUrl, MessageBody: body }));
    return;
  }
  try {
    await clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: target.stateMachineArn,
        name: `redrive-${messageId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 80),
        input: body,
      }),
    );
  } catch (error) {
    // Started by an earlier redrive that did not get to delete the message.
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
}

/** The bucket and key of an S3 "Object Created" event, or why the message is not one. */
function uploadOf(message: Message): { bucket: string; key: string } | string {
  let event: {
    source?: unknown;
    'detail-type'?: unknown;
    detail?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
  };
  try {
    event = JSON.parse(message.Body ?? '');
  } catch {
    return 'not JSON';
  }
  const bucket = event.detail?.bucket?.name;
  const key = event.detail?.object?.key;
  if (
    event.source !== 'aws.s3' ||
    event['detail-type'] !== 'Object Created' ||
    typeof bucket !== 'string' ||
    typeof key !== 'string'
  ) {
    return 'not an S3 "Object Created" event';
  }
  return { bucket, key };
}
