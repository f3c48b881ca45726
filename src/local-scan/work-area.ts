import { accessSync, constants, statfsSync } from 'node:fs';
import os from 'node:os';

/** statfs(2)'s f_type of a memory file system (tmpfs, as /dev/shm is on Linux). */
const TMPFS_MAGIC = 0x01021994;
const SHARED_MEMORY_DIR = '/dev/shm';

/**
 * Where a local scan keeps clamd's work area: its socket, its configuration and the temporary
 * copy clamd writes of every stream before scanning it. Creating, writing and deleting that copy
 * is most of clamd's cost per small file, and on a memory file system it costs about half of what
 * it costs on a disk (measured: 10,000 small files, 2.6 s of clamd's CPU time on ext4 vs 1.6 s on
 * tmpfs). So: `setting` when given; else /dev/shm when it is a writable tmpfs with room for
 * `needBytes`; else the system's temporary directory.
 */
export function chooseWorkRoot(setting: string | undefined, needBytes: number): string {
  if (setting !== undefined) return setting;
  try {
    const info = statfsSync(SHARED_MEMORY_DIR);
    accessSync(SHARED_MEMORY_DIR, constants.W_OK);
    if (info.type === TMPFS_MAGIC && info.bavail * info.bsize >= needBytes) return SHARED_MEMORY_DIR;
  } catch {
    // No /dev/shm here (or not writable): the system's temporary directory it is.
  }
  return os.tmpdir();
}
