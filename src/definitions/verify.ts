import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveTool, toolEnvironment } from '../clamd/binaries';
import { DefinitionsVerificationError } from '../errors';

/**
 * Proves a set of databases loads in ClamAV before it is published: clamscan loads the whole
 * directory, as clamd will, and scans a small sample. A set that fails to load is refused with
 * clamscan's own explanation.
 */
export async function verifyDefinitions(binDir: string | undefined, databaseDir: string, timeoutMs: number) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-verify-'));
  const sample = path.join(work, 'sample.txt');
  await writeFile(sample, 'lambda-av-daemon definitions load test\n');
  const tool = resolveTool('clamscan', binDir);
  const startedAt = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        tool.file,
        [...tool.args, `--database=${databaseDir}`, '--no-summary', '--stdout', sample],
        { timeout: timeoutMs, maxBuffer: 4 * 2 ** 20, env: toolEnvironment(tool) },
        (error, stdout, stderr) => {
          // 0: clean, 1: the sample matched a signature; both mean the set loaded.
          const code = error ? (error as { code?: number | string }).code : 0;
          if (code === 0 || code === 1) resolve();
          else
            reject(
              new DefinitionsVerificationError(
                `the definitions do not load in ClamAV (clamscan exit ${code}): ${`${stderr}${stdout}`.trim().slice(-2000)}`,
              ),
            );
        },
      );
    });
    return { loadMs: Math.round(performance.now() - startedAt) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
