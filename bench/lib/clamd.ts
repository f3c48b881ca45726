import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveTool } from '../../src/clamd/binaries';
import { defaultMaxScanSize, renderClamdConf } from '../../src/clamd/clamd-conf';
import { ClamdClient } from '../../src/clamd/protocol';
import { DEFAULT_MAX_FILE_SIZE } from '../../src/settings';

export interface BareClamd {
  readonly pid: number;
  /** Spawn to first PONG, in milliseconds. */
  readonly loadMs: number;
  readonly client: ClamdClient;
  stop(): Promise<void>;
}

/**
 * clamd started directly on a local database directory, with the scanner's limits, and nothing
 * else: spawn, then PING every 5 ms until it answers. Its load time is the floor of a cold start.
 */
export async function startBareClamd(
  databaseDir: string,
  workDir: string,
  onSpawn?: (pid: number) => void,
): Promise<BareClamd> {
  await mkdir(path.join(workDir, 'tmp'), { recursive: true });
  const socketPath = path.join(workDir, 'clamd.sock');
  const confPath = path.join(workDir, 'clamd.conf');
  await writeFile(
    confPath,
    renderClamdConf({
      socketPath,
      databaseDir,
      tempDir: path.join(workDir, 'tmp'),
      maxFileSize: DEFAULT_MAX_FILE_SIZE,
      maxScanSize: defaultMaxScanSize(DEFAULT_MAX_FILE_SIZE),
    }),
  );
  const tool = resolveTool('clamd', undefined);
  const started = performance.now();
  const child = spawn(tool.file, [...tool.args, `--config-file=${confPath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (data: Buffer) => {
    errors = (errors + data.toString('utf8')).slice(-2000);
  });
  if (child.pid) onSpawn?.(child.pid);
  const client = new ClamdClient(socketPath);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bare clamd exited (${child.exitCode}): ${errors}`);
    try {
      await client.ping(1_000);
      break;
    } catch {
      await sleep(5);
    }
  }
  const loadMs = performance.now() - started;
  return { pid: child.pid ?? 0, loadMs, client, stop: () => stopProcess(child) };
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** zSCAN: clamd opens and scans a file itself (no bytes over the socket). */
export function zscan(socketPath: string, file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      reply += text;
    });
    socket.once('error', reject);
    socket.once('close', () => {
      const answer = reply.replace(/\0.*$/s, '').trim();
      if (/: OK$/.test(answer)) resolve(answer);
      else reject(new Error(`zSCAN ${file}: ${answer}`));
    });
    socket.write(`zSCAN ${file}\0`);
  });
}

/** A clamd.conf for `clamdscan`: only where the running clamd listens. */
export async function writeClamdscanConf(file: string, socketPath: string): Promise<void> {
  await writeFile(file, `LocalSocket ${socketPath}\n`);
}
