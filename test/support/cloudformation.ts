import http from 'node:http';
import { listenLocally } from './local-http';

/**
 * A stand-in for CloudFormation's DescribeStacks on 127.0.0.1, in the AWS Query protocol
 * `@aws-sdk/client-cloudformation` speaks (a form-encoded request, an XML answer): enough for
 * commands that read a stack's outputs. Any other action is refused, naming it.
 */
export interface LocalCloudFormation {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startLocalCloudFormation(
  stacks: Record<string, Record<string, string>>,
): Promise<LocalCloudFormation> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const action = form.get('Action');
      const name = form.get('StackName') ?? '';
      const outputs = stacks[name];
      if (action !== 'DescribeStacks') {
        return send(
          response,
          400,
          error('InvalidAction', `this local CloudFormation answers DescribeStacks only, not ${action}`),
        );
      }
      if (!outputs)
        return send(response, 400, error('ValidationError', `Stack with id ${name} does not exist`));
      const members = Object.entries(outputs)
        .map(
          ([key, value]) =>
            `<member><OutputKey>${xml(key)}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`,
        )
        .join('');
      send(
        response,
        200,
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${xml(name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${xml(name)}/1</StackId><CreationTime>2026-11-30T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  return listenLocally(server);
}

function error(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function send(response: http.ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/xml' });
  response.end(body);
}
