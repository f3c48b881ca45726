import { type Dir, type Dirent, lstatSync, opendirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './usage';

/** A file to scan, or a directory that could not be read (reported, never passed over silently). */
export type WalkEntry =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'unreadable'; readonly path: string; readonly reason: string };

/**
 * Checks the paths given on the command line before anything starts: a missing one is a usage
 * error, as before.
 */
export function checkPaths(paths: readonly string[]): void {
  for (const entry of paths) {
    try {
      statSync(entry);
    } catch {
      throw new UsageError(`no such file or directory: ${entry}`);
    }
  }
}

/**
 * The regular files under `paths`, directories recursively, yielded as the walk goes: nothing is
 * collected first, so memory does not grow with the tree (one open directory handle per level).
 * As clamscan does by default, symbolic links are followed when given on the command line and
 * not inside directories (no loops, no scanning outside the tree); FIFOs, sockets and devices
 * are not files to scan. Order: as the file system lists directories.
 */
export async function* walkFiles(paths: readonly string[]): AsyncGenerator<WalkEntry> {
  for (const entry of paths) {
    const info = statSync(entry, { throwIfNoEntry: false });
    if (info?.isFile()) yield { kind: 'file', path: entry };
    else if (info?.isDirectory()) yield* walkDirectory(entry);
  }
}

/**
 * Directories are listed with synchronous reads of a directory handle, 256 entries at a time:
 * for a local tree that is several times cheaper than a promise per entry, and each read blocks
 * the event loop for microseconds.
 */
async function* walkDirectory(root: string): AsyncGenerator<WalkEntry> {
  const open: Array<{ readonly dir: Dir; readonly path: string }> = [];
  const enter = (directory: string): WalkEntry | undefined => {
    try {
      open.push({ dir: opendirSync(directory, { bufferSize: 256 }), path: directory });
      return undefined;
    } catch (error) {
      return { kind: 'unreadable', path: directory, reason: (error as Error).message };
    }
  };
  try {
    const failed = enter(root);
    if (failed) yield failed;
    while (open.length > 0) {
      const current = open[open.length - 1] as (typeof open)[number];
      let dirent: Dirent | null;
      try {
        dirent = current.dir.readSync();
      } catch (error) {
        yield { kind: 'unreadable', path: current.path, reason: (error as Error).message };
        dirent = null;
      }
      if (dirent === null) {
        open.pop();
        closeQuietly(current.dir);
        continue;
      }
      const child = path.join(current.path, dirent.name);
      const kind = kindOf(dirent, child);
      if (kind === 'directory') {
        const failedChild = enter(child);
        if (failedChild) yield failedChild;
      } else if (kind === 'file') {
        yield { kind: 'file', path: child };
      }
    }
  } finally {
    // The walk was abandoned (Ctrl-C): close what is still open.
    for (const { dir } of open.splice(0)) closeQuietly(dir);
  }
}

function closeQuietly(dir: Dir): void {
  try {
    dir.closeSync();
  } catch {
    // Already closed.
  }
}

function kindOf(dirent: Dirent, child: string): 'file' | 'directory' | 'other' {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'directory';
  if (dirent.isSymbolicLink() || dirent.isFIFO() || dirent.isSocket()) return 'other';
  if (dirent.isBlockDevice() || dirent.isCharacterDevice()) return 'other';
  // Some file systems do not report the type in directory listings: ask for it.
  const info = lstatSync(child, { throwIfNoEntry: false });
  if (info?.isFile()) return 'file';
  return info?.isDirectory() ? 'directory' : 'other';
}
