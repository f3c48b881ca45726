/**
 * One warm scanner instance in a process of its own, driven line by line: the memory section
 * puts this process in a CPU-limited group (as Lambda limits a function's CPU by its memory)
 * before clamd starts, so node and clamd share the limit, and samples their memory from outside.
 * Commands on stdin, one JSON object per line; one JSON answer per line on stdout:
 * - `{"cmd":"prepare"}`: definitions from S3, clamd started;
 * - `{"cmd":"scan","bucket":B,"key":K}`: the handler on `{bucket, key}`, with the CPU time node
 *   and clamd used meanwhile;
 * - `{"cmd":"reload","strategy":"concurrent"|"restart"}`: clamd switched to its definitions again,
 *   by zRELOAD or by a stop and a start, as the refresher does.
 * It stops clamd and exits when its standard input closes.
 */
import type { LocalEndpoint } from '../src/local/protocol/local-credentials';
import { cpuMsOf } from './lib/processes';
import { createBenchScanner } from './lib/scanner';
import { stdinLines } from './lib/stdin-lines';

interface ChildOptions {
  readonly s3: LocalEndpoint;
  readonly eventBridge: LocalEndpoint;
  readonly bucket: string;
  readonly prefix: string;
  readonly workDir: string;
}

type Command =
  | { readonly cmd: 'prepare' }
  | { readonly cmd: 'scan'; readonly bucket: string; readonly key: string }
  | { readonly cmd: 'reload'; readonly strategy: 'concurrent' | 'restart' };

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
  const instance = createBenchScanner(options);
  const { daemon } = instance.scanner.engine;
  const answer = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
  answer({ ready: true });
  for await (const line of stdinLines()) {
    if (!line) continue;
    const command = JSON.parse(line) as Command;
    const started = performance.now();
    if (command.cmd === 'prepare') {
      await instance.scanner.prepare();
      answer({ ms: performance.now() - started, clamdPid: daemon.pid });
    } else if (command.cmd === 'scan') {
      const node = process.cpuUsage();
      const clamd = await cpuMsOf(daemon.pid ?? 0);
      await instance.scan(command.bucket, command.key);
      const ms = performance.now() - started;
      const used = process.cpuUsage(node);
      answer({
        ms,
        nodeCpuMs: (used.user + used.system) / 1000,
        clamdCpuMs: (await cpuMsOf(daemon.pid ?? 0)) - clamd,
      });
    } else {
      if (command.strategy === 'concurrent') await daemon.reload();
      else {
        await daemon.stop();
        await daemon.ensureRunning();
      }
      answer({ ms: performance.now() - started, clamdPid: daemon.pid });
    }
  }
  await instance.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
