import { type Dir, type Dirent, lstatSync, opendirSync, type Stats, statSync } from 'node:fs';
import { describeFsError } from '../util/fs-error';

/**
 * A file to scan, or a path that could not be scanned (reported, never passed over silently).
 * Paths are bytes, as Linux keeps them: a name that is not valid UTF-8 is walked, opened and
 * reported as it is (src/cli/path-text.ts turns it into text for output).
 */
export type WalkEntry =
  | { readonly kind: 'file'; readonly path: Buffer }
  | {
      readonly kind: 'not-scanned';
      readonly path: Buffer;
      /** What could not be scanned: a directory that could not be read, or a PATH argument. */
      readonly what: 'directory' | 'path';
      readonly reason: string;
    };

const SLASH = 0x2f;

/**
 * The regular files under `paths`, directories recursively, yielded as the walk goes: nothing is
 * collected first, so memory does not grow with the tree (one open directory handle per level).
 *
 * As clamscan does by default, symbolic links are followed when given on the command line and
 * not inside directories (no loops, no scanning outside the tree); FIFOs, sockets and devices
 * inside directories are not files to scan and are passed over. A PATH argument that cannot be
 * scanned (missing, a loop of links, unreadable, a device or FIFO) is reported and the walk goes
 * on with the others, as clamscan does. Order: the arguments', then as the file system lists
 * directories.
 */
export async function* walkFiles(paths: readonly Buffer[]): AsyncGenerator<WalkEntry> {
  for (const entry of paths) {
    let info: Stats;
    try {
      info = statSync(entry);
    } catch (error) {
      yield { kind: 'not-scanned', path: entry, what: 'path', reason: describeFsError(error) };
      continue;
    }
    if (info.isFile()) yield { kind: 'file', path: entry };
    else if (info.isDirectory()) yield* walkDirectory(entry);
    else
      yield {
        kind: 'not-scanned',
        path: entry,
        what: 'path',
        reason: `not a regular file: ${typeOf(info)}`,
      };
  }
}

/**
 * Directories are listed with synchronous reads of a directory handle, 256 entries at a time:
 * for a local tree that is several times cheaper than a promise per entry, and each read blocks
 * the event loop for microseconds.
 */
async function* walkDirectory(root: Buffer): AsyncGenerator<WalkEntry> {
  const open: Array<{ readonly dir: Dir; readonly path: Buffer }> = [];
  const enter = (directory: Buffer): WalkEntry | undefined => {
    try {
      // Names as Buffers: Node accepts the 'buffer' encoding here, @types/node lists text ones only.
      const dir = opendirSync(directory, { bufferSize: 256, encoding: 'buffer' as BufferEncoding });
      open.push({ dir, path: directory });
      return undefined;
    } catch (error) {
      return { kind: 'not-scanned', path: directory, what: 'directory', reason: describeFsError(error) };
    }
  };
  try {
    const failed = enter(root);
    if (failed) yield failed;
    while (open.length > 0) {
      const current = open[open.length - 1] as (typeof open)[number];
      let dirent: Dirent<Buffer> | null;
      try {
        dirent = current.dir.readSync() as Dirent<Buffer> | null;
      } catch (error) {
        yield { kind: 'not-scanned', path: current.path, what: 'directory', reason: describeFsError(error) };
        dirent = null;
      }
      if (dirent === null) {
        open.pop();
        closeQuietly(current.dir);
        continue;
      }
      const child = childPath(current.path, dirent.name);
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

/** `parent/name`, byte for byte (no normalisation: the path reads as the user gave it). */
function childPath(parent: Buffer, name: Buffer): Buffer {
  const slash = parent.length > 0 && parent[parent.length - 1] === SLASH ? 0 : 1;
  const child = Buffer.allocUnsafe(parent.length + slash + name.length);
  parent.copy(child, 0);
  if (slash) child[parent.length] = SLASH;
  name.copy(child, parent.length + slash);
  return child;
}

function closeQuietly(dir: Dir): void {
  try {
    dir.closeSync();
  } catch {
    // Already closed.
  }
}

function kindOf(dirent: Dirent<Buffer>, child: Buffer): 'file' | 'directory' | 'other' {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'directory';
  if (dirent.isSymbolicLink() || dirent.isFIFO() || dirent.isSocket()) return 'other';
  if (dirent.isBlockDevice() || dirent.isCharacterDevice()) return 'other';
  // Some file systems do not report the type in directory listings: ask for it.
  const info = lstatSync(child, { throwIfNoEntry: false });
  if (info?.isFile()) return 'file';
  return info?.isDirectory() ? 'directory' : 'other';
}

function typeOf(info: Stats): string {
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'an unsupported file type';
}
