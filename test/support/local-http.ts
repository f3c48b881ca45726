import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A test's HTTP server on a free port of 127.0.0.1, and how to stop it with its connections. */
export interface LocalHttp {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port) and resolves once the server is listening. */
export async function listenLocally(server: http.Server): Promise<LocalHttp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
