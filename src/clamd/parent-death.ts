import { existsSync } from 'node:fs';
import type { ToolCommand } from './binaries';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'];

/**
 * The command that starts `tool` so that the kernel kills it when this process dies, however it
 * dies (`kill -9` included): util-linux's `setpriv --pdeathsig KILL` sets the parent-death signal
 * and then executes the tool in its place (same pid). Where setpriv is missing the tool starts as
 * it is; in Lambda that is harmless (the runtime and its children end with the execution
 * environment), and locally the next start reclaims what an orphan leaves (src/util/owned-dirs.ts).
 */
export function diesWithThisProcess(
  tool: ToolCommand,
  setprivCandidates: readonly string[] = SETPRIV,
): ToolCommand {
  const setpriv = setprivCandidates.find((file) => existsSync(file));
  if (setpriv === undefined) return tool;
  return { file: setpriv, args: ['--pdeathsig', 'KILL', '--', tool.file, ...tool.args], env: tool.env };
}
