import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatusNames } from '../settings';
import type { ExecutionRecord } from './execution-store';
import { renderHistoryPage } from './history-page';
import { keepConnectionsAlive } from './keep-alive';
import { closeServer, listen } from './protocol/aws-server';
import { RequestRefusal } from './protocol/refusal';
import { guardLocalRequest } from './protocol/request-guard';

export interface HistoryServer {
  /** The page's address, as `serve` prints it. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The scan history page on 127.0.0.1: `GET /` (newest first), `GET /?page=N` for older pages. It
 * is read-only and holds no credentials; like every local endpoint it refuses cross-origin
 * requests and foreign Host names (src/local/protocol/request-guard.ts), so a web page can neither
 * read it (no CORS, no DNS rebinding) nor frame it. A person opens it in the browser as the URL
 * printed; a browser cannot sign AWS requests, so the page is the one endpoint that needs no
 * signature.
 */
export async function startHistoryServer(options: {
  readonly port: number;
  readonly executions: () => readonly ExecutionRecord[];
  readonly statusNames: StatusNames;
  readonly endpoints: Readonly<Record<string, string>>;
}): Promise<HistoryServer> {
  let port = options.port;
  const server = http.createServer((request, response) => {
    try {
      guardLocalRequest(request, port, { sameOriginAllowed: true });
    } catch (error) {
      const refusal = error as RequestRefusal;
      response.writeHead(refusal instanceof RequestRefusal ? refusal.status : 400, {
        'content-type': 'text/plain',
      });
      response.end(`${refusal.message}\n`);
      return;
    }
    const [path, query = ''] = (request.url ?? '/').split('?', 2);
    const pageParameter = new URLSearchParams(query).get('page') ?? '1';
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path !== '/') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the history is at /\n');
    } else if (!/^[1-9]\d{0,6}$/.test(pageParameter)) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('page must be a positive whole number\n');
    } else {
      const html = renderHistoryPage(options.executions(), options.statusNames, {
        endpoints: options.endpoints,
        page: Number(pageParameter),
      });
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        // No script, no frames, nothing loaded from elsewhere: the page is text and styles.
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      response.end(request.method === 'HEAD' ? undefined : html);
    }
  });
  keepConnectionsAlive(server);
  await listen(server, port);
  port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/`, stop: () => closeServer(server) };
}
