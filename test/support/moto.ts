import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

/**
 * moto_server (Python, preinstalled here; elsewhere `pip install 'moto[server]'`) on 127.0.0.1 with
 * a free port. With `unauthenticatedActions`, moto lets that many requests through unchecked,
 * then checks every request's identity policies (INITIAL_NO_AUTH_ACTION_COUNT): a test sets up
 * its identities in those first requests. Resources are kept per account.
 */
export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startMoto(options: { unauthenticatedActions?: number } = {}): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: {
      ...process.env,
      ...(options.unauthenticatedActions !== undefined
        ? { INITIAL_NO_AUTH_ACTION_COUNT: String(options.unauthenticatedActions) }
        : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  // Werkzeug says where it listens once it does: wait for that line, not for a time.
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(`Running on http://127.0.0.1:${port}`)) {
        child.stderr?.off('data', onData);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    exited.then(([code]) =>
      reject(new Error(`moto_server exited (${String(code)}) before listening: ${seen}`)),
    );
  });
  // Keep draining its request log so the pipe never fills.
  child.stderr?.resume();
  child.stdout?.resume();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}
