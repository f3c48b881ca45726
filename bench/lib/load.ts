import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { processTree } from './processes';

/** CPU used during one section of the run, in cores (1.0 = one core busy all the time). */
export interface SectionLoad {
  readonly section: string;
  readonly seconds: number;
  /** By this benchmark's own processes (node, the S3 endpoint, clamd, clamdscan, clamscan, ...). */
  readonly benchCores: number;
  /** By every other process on the machine: a shared machine makes every figure noisier. */
  readonly otherCores: number;
}

/** Clock ticks (USER_HZ) the machine spent busy, all cores together. */
async function machineBusy(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
}

/** Clock ticks used by a process tree, children it has already reaped included. */
async function treeBusy(root: number): Promise<number> {
  let total = 0;
  for (const pid of await processTree(root)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat.
    for (const i of [11, 12, 13, 14]) total += Number(fields[i] ?? 0);
  }
  return total;
}

const TICKS_PER_SECOND = 100;

/**
 * Samples the machine's CPU use twice a second and splits it between this benchmark's process
 * tree and everything else, per section.
 */
export function startLoadMonitor(intervalMs = 500) {
  let current = 'set-up';
  const sections = new Map<string, { ticksOurs: number; ticksOther: number; ms: number }>();
  let running = true;
  let last: { machine: number; ours: number; at: number } | undefined;
  const sample = async () => {
    const [machine, ours] = await Promise.all([machineBusy(), treeBusy(process.pid)]);
    const at = performance.now();
    if (last) {
      const entry = sections.get(current) ?? { ticksOurs: 0, ticksOther: 0, ms: 0 };
      const oursDelta = Math.max(0, ours - last.ours);
      entry.ticksOurs += oursDelta;
      entry.ticksOther += Math.max(0, machine - last.machine - oursDelta);
      entry.ms += at - last.at;
      sections.set(current, entry);
    }
    last = { machine, ours, at };
  };
  const loop = (async () => {
    while (running) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  const round = (value: number) => Math.round(value * 100) / 100;
  let stopped: Promise<SectionLoad[]> | undefined;
  const finish = async (): Promise<SectionLoad[]> => {
    running = false;
    await loop;
    await sample();
    const cores = os.cpus().length;
    return [...sections].map(([section, { ticksOurs, ticksOther, ms }]) => {
      const seconds = ms / 1000;
      const toCores = (ticks: number) =>
        seconds > 0 ? round(Math.min(cores, ticks / TICKS_PER_SECOND / seconds)) : 0;
      return {
        section,
        seconds: round(seconds),
        benchCores: toCores(ticksOurs),
        otherCores: toCores(ticksOther),
      };
    });
  };
  return {
    /** Later samples count towards `name`. */
    section(name: string): void {
      current = name;
    },
    /** Stops sampling (once) and returns the figures per section. */
    stop(): Promise<SectionLoad[]> {
      stopped ??= finish();
      return stopped;
    },
  };
}
