import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { run } from './bundle';

export interface TestCertificates {
  /** The test CA's certificate (PEM): what CURL_CA_BUNDLE points at. */
  readonly caFile: string;
  readonly key: Buffer;
  readonly cert: Buffer;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  const result = await run('openssl', args, { cwd, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`openssl ${args[0]} exited ${result.code}: ${result.stderr}`);
}

/** A throw-away CA and a server certificate it signed for `hostName`, made with the openssl CLI. */
export async function makeCertificates(dir: string, hostName: string): Promise<TestCertificates> {
  const days = ['-days', '2'];
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      ...days,
      '-subj',
      '/CN=lambda-av test CA',
    ],
    dir,
  );
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      `/CN=${hostName}`,
    ],
    dir,
  );
  await writeFile(path.join(dir, 'server.ext'), `subjectAltName=DNS:${hostName}\n`);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      ...days,
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  return {
    caFile: path.join(dir, 'ca.pem'),
    key: await readFile(path.join(dir, 'server.key')),
    cert: await readFile(path.join(dir, 'server.pem')),
  };
}

export interface TlsMirror {
  readonly port: number;
  /** Requests received: path and the client's User-Agent. */
  readonly requests: Array<{ path: string; userAgent: string }>;
  stop(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 serving fixed files, as a database mirror for freshclam. */
export async function startTlsMirror(
  certificates: TestCertificates,
  files: Record<string, string>,
): Promise<TlsMirror> {
  const requests: TlsMirror['requests'] = [];
  const modified = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const server = https.createServer(
    { key: certificates.key, cert: certificates.cert },
    (request, response) => {
      const name = (request.url ?? '/').split('?')[0]?.slice(1) ?? '';
      requests.push({ path: `/${name}`, userAgent: request.headers['user-agent'] ?? '' });
      const content = files[name];
      if (content === undefined) {
        response.writeHead(404);
        response.end();
        return;
      }
      response.writeHead(200, {
        'content-length': Buffer.byteLength(content),
        'last-modified': modified.toUTCString(),
        'content-type': 'application/octet-stream',
      });
      response.end(content);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
