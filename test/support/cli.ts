import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The real command, as users run it (compiled JavaScript, see scripts/build-cli.js). */
export const BIN = path.join(__dirname, '..', '..', 'bin', 'lambda-av.js');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `lambda-av ARGS...` in a child process and collects its output. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { readonly nodeArgs?: readonly string[]; readonly timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), BIN, ...args],
      { env: { ...process.env, ...env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 256 * 2 ** 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr });
      },
    );
  });
}

/** A command left running (serve, or a scan to interrupt). */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the output so far once `pattern` appears in standard output. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The exit code (128 + the signal's number when a signal ended it). */
  readonly exited: Promise<number>;
}

export function spawnCli(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
      for (const listener of listeners) listener();
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout)) {
            cleanup();
            resolve(stdout);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`lambda-av ended before printing ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Processes whose parent is `pid` and whose program is `name` (a command's clamd, say). */
export function childProcesses(pid: number, name: string): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so parse after its closing parenthesis.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && comm === name) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** True while a process with this pid exists (and is not a zombie). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The `export NAME=value` lines `lambda-av serve` prints, as an environment. */
export function exportedEnvironment(stdout: string): Record<string, string> {
  return Object.fromEntries(
    [...stdout.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)].map((match) => [
      match[1] as string,
      match[2] as string,
    ]),
  );
}
