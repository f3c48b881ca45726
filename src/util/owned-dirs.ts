import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DataDirInUseError } from '../errors';

/** Written into each owned directory: the owner's pid and its start time, which a reused pid does not share. */
const OWNER_FILE = '.lambda-av-owner';

/**
 * A temporary directory owned by this process (a clamd work area, a local stack's data). Before it
 * is made, directories of the same prefix whose owner has died (`kill -9`, a crash, a power cut)
 * are reclaimed: any process still running from one of them is killed, and the directory is
 * removed. clamd normally dies with its parent (src/clamd/parent-death.ts); this catches what
 * that cannot, such as a system without setpriv.
 */
export async function makeOwnedDir(root: string, prefix: string): Promise<string> {
  await reclaimAbandonedDirs(root, prefix);
  const dir = await mkdtemp(path.join(root, prefix));
  await writeFile(path.join(dir, OWNER_FILE), `${process.pid} ${await startTime(process.pid)}\n`);
  return dir;
}

/**
 * Removes the directories under `root` named `prefix*` whose recorded owner is no longer running,
 * after killing the processes whose command line names such a directory. Directories without an
 * owner record are left alone: they are not ours, or their owner is still creating them.
 * Returns the directories removed.
 */
export async function reclaimAbandonedDirs(root: string, prefix: string): Promise<string[]> {
  const entries = await readdir(root).catch(() => []);
  const abandoned: string[] = [];
  for (const name of entries.filter((entry) => entry.startsWith(prefix))) {
    const dir = path.join(root, name);
    const owner = await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
    if (owner !== undefined && !(await isRunning(owner))) abandoned.push(dir);
  }
  if (abandoned.length === 0) return [];
  await killProcessesUsing(abandoned);
  await Promise.all(abandoned.map((dir) => rm(dir, { recursive: true, force: true })));
  return abandoned;
}

/**
 * Claims a directory that outlives its owner (`serve --data-dir`): while another live process
 * holds it, DataDirInUseError; a claim left by a dead owner is taken over. Returns the release.
 */
export async function claimDir(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, OWNER_FILE);
  const owner = await readFile(file, 'utf8').catch(() => undefined);
  if (owner !== undefined && (await isRunning(owner)) && !owner.startsWith(`${process.pid} `)) {
    throw new DataDirInUseError(
      `${dir} is in use by another lambda-av serve (pid ${owner.split(' ')[0]}): stop it first, or use another --data-dir`,
    );
  }
  const mine = `${process.pid} ${await startTime(process.pid)}\n`;
  await writeFile(file, mine);
  return async () => {
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current === mine) await rm(file, { force: true });
  };
}

async function isRunning(owner: string): Promise<boolean> {
  const [pid, started] = owner.trim().split(' ');
  if (pid === undefined || !/^\d+$/.test(pid)) return false;
  return (await startTime(Number(pid))) === started;
}

/** The process's start time in clock ticks since boot (/proc/PID/stat, field 22), or undefined when it is gone. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

async function killProcessesUsing(dirs: readonly string[]): Promise<void> {
  const pids = (await readdir('/proc').catch(() => [])).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const command = await readFile(`/proc/${pid}/cmdline`).catch(() => undefined);
    if (command === undefined) continue;
    const args = command.toString('utf8').split('\0');
    if (!args.some((arg) => dirs.some((dir) => arg === dir || arg.includes(`${dir}${path.sep}`)))) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already, or not ours to kill.
    }
  }
}
