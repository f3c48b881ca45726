import http from 'node:http';
import { listenLocally } from './local-http';

/**
 * A stand-in for STS GetCallerIdentity on 127.0.0.1, in the AWS Query protocol
 * `@aws-sdk/client-sts` speaks (a form-encoded request, an XML answer): the account a command's
 * credentials act in is the one a test names. Any other action is refused, naming it.
 */
export interface LocalSts {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startLocalSts(account: string): Promise<LocalSts> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('Action');
      if (action !== 'GetCallerIdentity') {
        response.writeHead(400, { 'content-type': 'text/xml' });
        response.end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>this local STS answers GetCallerIdentity only, not ${action}</Message></Error><RequestId>local</RequestId></ErrorResponse>`,
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${account}:user/operator</Arn><UserId>AIDALOCAL</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    });
  });
  return listenLocally(server);
}
