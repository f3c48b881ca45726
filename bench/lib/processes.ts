import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with an argument array (no shell) and collects its output. */
export function run(file: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString('utf8');
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
}

/** Every process whose parent chain leads to `root`, root included. */
export async function processTree(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[1]) parents.set(Number(name), Number(fields[1]));
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

export interface PeakMemory {
  /** Largest sum of the resident memory of the whole tree at one sample, in MiB. */
  readonly treeMiB: number;
  /** Largest resident memory of the root process alone, in MiB. */
  readonly rootMiB: number;
  /** Largest resident memory of the descendants together, in MiB. */
  readonly childrenMiB: number;
  readonly samples: number;
}

/** Samples the resident memory of a process and its descendants until `stop` is called. */
export function sampleTreeMemory(root: number, intervalMs = 25): { stop(): Promise<PeakMemory> } {
  let tree = 0;
  let rootPeak = 0;
  let children = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const pids = await processTree(root);
      const sizes = await Promise.all(pids.map(rssKb));
      const rootKb = sizes[0] ?? 0;
      const total = sizes.reduce((sum, kb) => sum + kb, 0);
      tree = Math.max(tree, total);
      rootPeak = Math.max(rootPeak, rootKb);
      children = Math.max(children, total - rootKb);
      samples++;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  const mib = (kb: number) => Math.round((kb / 1024) * 10) / 10;
  return {
    async stop() {
      running = false;
      await loop;
      return { treeMiB: mib(tree), rootMiB: mib(rootPeak), childrenMiB: mib(children), samples };
    },
  };
}

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time a process has used so far, user + system, all its threads (and children it reaped), in
 * milliseconds; 0 for a process that is gone. Resolution is one clock tick (10 ms): take means
 * over many runs for short work.
 */
export async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return 0;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}
