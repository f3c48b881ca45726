import { existsSync } from 'node:fs';
import path from 'node:path';

export type ClamavTool = 'clamd' | 'clamscan' | 'clamdscan' | 'freshclam' | 'sigtool';

/**
 * How to start one ClamAV program: the file to execute, the arguments that come first, and the
 * environment it needs beside the inherited one.
 */
export interface ToolCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
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
      if (existsSync(file)) return { file, args: [], env: {} };
    }
    return { file: tool, args: [], env: {} };
  }
  const program = path.join(binDir, tool);
  const libDir = path.join(binDir, '..', 'lib');
  const loader = LOADERS.map((name) => path.join(libDir, name)).find((file) => existsSync(file));
  if (loader === undefined) return { file: program, args: [], env: {} };
  return {
    file: loader,
    args: ['--library-path', libDir, program],
    // The bundle's own glibc finds its iconv modules (libclamav decodes UTF-16 with them) and
    // libcurl its CA certificates (freshclam over HTTPS) only where the bundle says.
    env: {
      GCONV_PATH: path.join(libDir, 'gconv'),
      CURL_CA_BUNDLE: path.join(binDir, '..', 'certs', 'ca-certificates.crt'),
    },
  };
}

/**
 * The environment to start `tool` with: what the tool needs, unless this process sets the same
 * variable (a deployment that points CURL_CA_BUNDLE at its own CA set keeps it).
 */
export function toolEnvironment(tool: ToolCommand): NodeJS.ProcessEnv {
  return { ...tool.env, ...process.env };
}
