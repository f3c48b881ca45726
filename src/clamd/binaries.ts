import { existsSync } from 'node:fs';
import path from 'node:path';

export type ClamavTool = 'clamd' | 'clamscan' | 'clamdscan' | 'freshclam' | 'sigtool';

/** How to start one ClamAV program: the file to execute and the arguments that come first. */
export interface ToolCommand {
  readonly file: string;
  readonly args: readonly string[];
}

const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
const LOADERS = ['ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1'];

/**
 * Locates a ClamAV program. With `binDir` set, the program is taken from there; when a `lib/`
 * directory next to it holds a dynamic loader (the self-contained bundle in `lambda.zip`), the
 * program is started through that loader with the bundle's libraries, so it runs on a system
 * whose own glibc is older than the one ClamAV was built with. Without `binDir`, the system's
 * ClamAV is used.
 */
export function resolveTool(tool: ClamavTool, binDir: string | undefined): ToolCommand {
  if (binDir === undefined) {
    for (const dir of SYSTEM_DIRS) {
      const file = path.join(dir, tool);
      if (existsSync(file)) return { file, args: [] };
    }
    return { file: tool, args: [] };
  }
  const program = path.join(binDir, tool);
  const libDir = path.join(binDir, '..', 'lib');
  const loader = LOADERS.map((name) => path.join(libDir, name)).find((file) => existsSync(file));
  if (loader === undefined) return { file: program, args: [] };
  return { file: loader, args: ['--library-path', libDir, program] };
}
