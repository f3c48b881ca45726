import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalServiceError } from '../../src/errors';
import { awsErrorBody, sendAwsJson } from '../../src/local/aws-json';
import { keepConnectionsAlive } from '../../src/local/keep-alive';

interface Message {
  readonly id: string;
  readonly body: string;
  receipt: string | undefined;
  /** Milliseconds since the epoch until which a received message stays hidden. */
  invisibleUntil: number;
  receiveCount: number;
}

export interface LocalSqsServer {
  /** Endpoint for `new SQSClient({ endpoint })`. */
  readonly endpoint: string;
  /** Each queue's URL, by name. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The bodies in a queue, received or not, in order. */
  bodies(queue: string): string[];
  stop(): Promise<void>;
}

const ACCOUNT = '123456789012';
const TARGET_PREFIX = 'AmazonSQS.';
type Json = Record<string, unknown>;

/**
 * A stand-in for four SQS operations on 127.0.0.1, in the AWS JSON 1.0 protocol
 * `@aws-sdk/client-sqs` speaks (`X-Amz-Target: AmazonSQS.<Operation>`): SendMessage,
 * ReceiveMessage (with a visibility timeout), DeleteMessage and GetQueueUrl, on the queues named
 * when it starts. Answers carry the MD5 digests the SDK checks. Any other operation is refused,
 * naming it.
 */
export async function startLocalSqs(queueNames: readonly string[]): Promise<LocalSqsServer> {
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

  const operations: Record<string, (body: Json) => Json> = {
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

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      try {
        const run = operations[operation];
        if (!run) {
          throw new LocalServiceError(
            'UnsupportedOperation',
            `this local SQS answers SendMessage, ReceiveMessage, DeleteMessage and GetQueueUrl, not ${operation || request.url}`,
          );
        }
        sendAwsJson(
          response,
          200,
          run(chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json) : {}),
        );
      } catch (error) {
        sendAwsJson(response, 400, awsErrorBody(error, 'InternalFailure'));
      }
    });
  });
  keepConnectionsAlive(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    queueUrls: Object.fromEntries(queueNames.map((name) => [name, `${endpoint}/${ACCOUNT}/${name}`])),
    bodies: (name) => (queues.get(name) ?? []).map((message) => message.body),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
