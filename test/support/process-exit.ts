import { spawn } from 'node:child_process';
import { once } from 'node:events';

const WATCH = [
  'import os, select, sys',
  'try:',
  '    fd = os.pidfd_open(int(sys.argv[1]))',
  'except ProcessLookupError:',
  '    print("ready", flush=True)',
  '    sys.exit(0)',
  'print("ready", flush=True)',
  'select.select([fd], [], [])',
].join('\n');

/**
 * Starts watching process `pid`, whoever its parent is, and resolves once the watch is in place
 * with a promise of its exit. A pidfd (Linux 5.3+) becomes readable when the process exits; Node
 * has none, so a small python3 process holds it and exits at that moment. Tests wait for the exit
 * itself, not for a time; watching before the kill means an exit at once is not missed.
 */
export async function watchExit(pid: number): Promise<{ readonly exited: Promise<void> }> {
  const watcher = spawn('python3', ['-c', WATCH, String(pid)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exit = once(watcher, 'exit');
  await once(watcher.stdout, 'data');
  const exited = exit.then(([code]) => {
    if (code !== 0) throw new Error(`watching process ${pid} failed (python3 exited ${String(code)})`);
  });
  return { exited };
}

/** Resolves when process `pid` has exited (at once when it is gone already). */
export async function processExit(pid: number): Promise<void> {
  await (await watchExit(pid)).exited;
}
