import { createHash, randomUUID } from 'node:crypto';
import { LocalServiceError } from '../../src/errors';
import { type JsonObject, startJsonServer } from '../../src/local/protocol/json-protocol';
import {
  type LocalCredentials,
  type LocalEndpoint,
  newLocalCredentials,
} from '../../src/local/protocol/local-credentials';

interface Message {
  readonly id: string;
  readonly body: string;
  receipt: string | undefined;
  /** Milliseconds since the epoch until which a received message stays hidden. */
  invisibleUntil: number;
  receiveCount: number;
}

export interface LocalSqsServer extends LocalEndpoint {
  /** Each queue's URL, by name. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The bodies in a queue, received or not, in order. */
  bodies(queue: string): string[];
  stop(): Promise<void>;
}

const ACCOUNT = '123456789012';

/**
 * A stand-in for four SQS operations on 127.0.0.1, in the AWS JSON 1.0 protocol
 * `@aws-sdk/client-sqs` speaks (`X-Amz-Target: AmazonSQS.<Operation>`): SendMessage,
 * ReceiveMessage (with a visibility timeout), DeleteMessage and GetQueueUrl, on the queues named
 * when it starts. Answers carry the MD5 digests the SDK checks. Any other operation is refused,
 * naming it. Requests are signed with its `credentials`, as every local endpoint requires.
 */
export async function startLocalSqs(
  queueNames: readonly string[],
  options: { readonly credentials?: LocalCredentials } = {},
): Promise<LocalSqsServer> {
  const queues = new Map<string, Message[]>(queueNames.map((name) => [name, []]));
  let endpoint = '';
  const queueOf = (url: unknown): Message[] => {
    const name =
      String(url ?? '')
        .split('/')
        .pop() ?? '';
    const queue = queues.get(name);
    if (!queue)
      throw new LocalServiceError('AWS.SimpleQueueService.NonExistentQueue', `no queue ${String(url)}`);
    return queue;
  };

  const operations: Record<string, (body: JsonObject) => JsonObject> = {
    GetQueueUrl(body) {
      const name = String(body.QueueName ?? '');
      if (!queues.has(name))
        throw new LocalServiceError('AWS.SimpleQueueService.NonExistentQueue', `no queue ${name}`);
      return { QueueUrl: `${endpoint}/${ACCOUNT}/${name}` };
    },
    SendMessage(body) {
      const text = String(body.MessageBody ?? '');
      if (text === '') throw new LocalServiceError('MissingParameter', 'MessageBody is required');
      const message: Message = {
        id: randomUUID(),
        body: text,
        receipt: undefined,
        invisibleUntil: 0,
        receiveCount: 0,
      };
      queueOf(body.QueueUrl).push(message);
      return { MessageId: message.id, MD5OfMessageBody: md5(text) };
    },
    ReceiveMessage(body) {
      const queue = queueOf(body.QueueUrl);
      const max = Number(body.MaxNumberOfMessages ?? 1);
      const visibility = Number(body.VisibilityTimeout ?? 30) * 1000;
      const now = Date.now();
      const received = queue.filter((message) => message.invisibleUntil <= now).slice(0, max);
      for (const message of received) {
        message.receipt = randomUUID();
        message.invisibleUntil = now + visibility;
        message.receiveCount++;
      }
      return {
        Messages: received.map((message) => ({
          MessageId: message.id,
          ReceiptHandle: message.receipt,
          Body: message.body,
          MD5OfBody: md5(message.body),
          Attributes: { ApproximateReceiveCount: String(message.receiveCount) },
        })),
      };
    },
    DeleteMessage(body) {
      const queue = queueOf(body.QueueUrl);
      const index = queue.findIndex((message) => message.receipt === body.ReceiptHandle);
      if (index < 0)
        throw new LocalServiceError(
          'ReceiptHandleIsInvalid',
          `no message has receipt ${String(body.ReceiptHandle)}`,
        );
      queue.splice(index, 1);
      return {};
    },
  };

  const credentials = options.credentials ?? newLocalCredentials();
  const server = await startJsonServer(
    { targetPrefix: 'AmazonSQS', version: '1.0', label: 'this local SQS', operations },
    { service: 'sqs', credentials },
  );
  endpoint = server.endpoint;
  return {
    endpoint,
    credentials,
    queueUrls: Object.fromEntries(queueNames.map((name) => [name, `${endpoint}/${ACCOUNT}/${name}`])),
    bodies: (name) => (queues.get(name) ?? []).map((message) => message.body),
    stop: () => server.stop(),
  };
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
