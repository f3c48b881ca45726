import http from 'node:http';
import { type LocalLambdaServer, startLocalLambda } from '../../../src/local/lambda-server';
import { signedHeaders } from '../../support/signed-request';

// A client that keeps a connection open and reuses it after a pause (a state machine waiting
// between retries) must find it still open: Node's default keep-alive timeout (5 s) closed such
// connections under the client, and a burst of retries failed with ECONNRESET.

let server: LocalLambdaServer | undefined;
let agent: http.Agent | undefined;
afterEach(async () => {
  agent?.destroy();
  await server?.stop();
});

/** Invokes `echo` on one kept-alive connection (signed); resolves with the local port the request used. */
async function invoke(lambda: LocalLambdaServer, keepAlive: http.Agent): Promise<number> {
  const path = '/2015-03-31/functions/echo/invocations';
  const headers = await signedHeaders(lambda, 'lambda', { method: 'POST', path, body: '{}' });
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${lambda.endpoint}${path}`,
      { method: 'POST', agent: keepAlive, headers },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(request.socket?.localPort ?? -1)
            : reject(new Error(String(response.statusCode))),
        );
      },
    );
    request.on('error', reject);
    request.end('{}');
  });
}

test('an idle connection is still open after six seconds, and the next request reuses it', async () => {
  server = await startLocalLambda({ echo: async () => ({ ok: true }) });
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  const first = await invoke(server, agent);
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const second = await invoke(server, agent);

  expect(second).toBe(first);
}, 20_000);
