import type http from 'node:http';
import { refuse } from './refusal';

/**
 * The checks every local endpoint makes before anything else, signed or not, so that a web page
 * the developer opens cannot use it:
 * - a browser marks each request a page makes with `Origin` (and `Sec-Fetch-Site`); a request that
 *   carries either, other than one typed into the address bar (`Sec-Fetch-Site: none`), is refused,
 *   and so is every CORS preflight. No endpoint sends CORS headers, so no page reads an answer;
 * - the Host must be this machine's loopback name and this port, so a page cannot reach the
 *   endpoint through a name of its own that resolves to 127.0.0.1 (DNS rebinding).
 * Returns the bucket a virtual-hosted-style S3 request names (`BUCKET.localhost:PORT`), if any.
 */
export function guardLocalRequest(
  request: http.IncomingMessage,
  port: number,
  options: { readonly virtualHostedBuckets?: boolean; readonly sameOriginAllowed?: boolean } = {},
): { readonly virtualBucket?: string } {
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  const sameOrigin = options.sameOriginAllowed === true && (site === undefined || site === 'same-origin');
  if (request.method === 'OPTIONS') throw refuse.crossOrigin(String(origin ?? 'a CORS preflight'));
  if (origin !== undefined && !(sameOrigin && isOwnOrigin(origin, port))) throw refuse.crossOrigin(origin);
  if (site !== undefined && site !== 'none' && !(sameOrigin && site === 'same-origin')) {
    throw refuse.crossOrigin(`${site}`);
  }
  const host = (request.headers.host ?? '').toLowerCase();
  if (host === `127.0.0.1:${port}` || host === `localhost:${port}`) return {};
  const virtual = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.localhost:(\d+)$/.exec(host);
  if (options.virtualHostedBuckets && virtual && virtual[2] === String(port)) {
    return { virtualBucket: virtual[1] as string };
  }
  throw refuse.host(host);
}

function isOwnOrigin(origin: string, port: number): boolean {
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}
