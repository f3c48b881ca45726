import type http from 'node:http';

/**
 * Keeps a local stand-in's idle keep-alive connections open for a minute, longer than any wait
 * between a client's requests here (a state machine's retry waits, a CLI polling an execution).
 * With Node's default of 5 s the server closes connections a client may be reusing at that very
 * moment, and its request fails with ECONNRESET: a burst of throttled retries, idle together,
 * hit that race. The servers' stop() closes all connections, so nothing lingers.
 */
export function keepConnectionsAlive(server: http.Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
