import http from 'node:http';
import { listenLocally } from './local-http';

/**
 * A database mirror on 127.0.0.1 for freshclam's DatabaseCustomURL: serves signature databases
 * with Last-Modified and answers If-Modified-Since with 304, as a real mirror does; can be told
 * to rate-limit (HTTP 429).
 */
export interface TestMirror {
  readonly url: string;
  /** Paths requested, in order, with the status answered. */
  readonly requests: Array<{ path: string; status: number }>;
  set(name: string, content: string | Buffer): void;
  rateLimit(on: boolean): void;
  stop(): Promise<void>;
}

export async function startTestMirror(): Promise<TestMirror> {
  const files = new Map<string, { content: Buffer; modified: Date }>();
  const requests: TestMirror['requests'] = [];
  let limited = false;
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent((request.url ?? '/').split('?')[0]?.slice(1) ?? '');
    const file = files.get(name);
    let status: number;
    if (limited) {
      status = 429;
      response.writeHead(status, { 'retry-after': '3600' });
      response.end();
    } else if (!file) {
      status = 404;
      response.writeHead(status);
      response.end();
    } else {
      const since = request.headers['if-modified-since'];
      if (since && new Date(since).getTime() >= Math.floor(file.modified.getTime() / 1000) * 1000) {
        status = 304;
        response.writeHead(status);
        response.end();
      } else {
        status = 200;
        response.writeHead(status, {
          'content-length': file.content.length,
          'last-modified': file.modified.toUTCString(),
          'content-type': 'application/octet-stream',
        });
        response.end(file.content);
      }
    }
    requests.push({ path: `/${name}`, status });
  });
  const local = await listenLocally(server);
  return {
    url: local.endpoint,
    requests,
    set(name, content) {
      const previous = files.get(name);
      // Last-Modified has one-second resolution, and freshclam asks If-Modified-Since the time it
      // saved its copy: a change is dated in the next whole second, so it always looks newer.
      const nextSecond = (Math.floor(Date.now() / 1000) + 1) * 1000;
      const modified = new Date(Math.max(nextSecond, (previous?.modified.getTime() ?? 0) + 1000));
      files.set(name, { content: Buffer.from(content), modified });
    },
    rateLimit(on) {
      limited = on;
    },
    stop: local.stop,
  };
}

/** Updater settings that fetch only `names` from the test mirror, no official database. */
export function mirrorEnv(
  mirror: TestMirror,
  names: readonly string[] = ['test.ndb'],
): Record<string, string> {
  return {
    CLAMAV_MIRROR_URL: mirror.url,
    CLAMAV_OFFICIAL_DATABASES: '',
    CLAMAV_CUSTOM_DATABASE_URLS: names.map((name) => `${mirror.url}/${name}`).join(','),
  };
}
