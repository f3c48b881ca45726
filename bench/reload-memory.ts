/**
 * Peak memory of switching a warm clamd to new definitions, per reload strategy:
 * `concurrent` (zRELOAD, ConcurrentDatabaseReload yes) and `restart` (stop, start).
 * Usage: npx tsx bench/reload-memory.ts [small|medium|official]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClamdDaemon } from '../src/clamd/daemon';
import { type Scale, writeSyntheticDefinitions } from './synthetic-definitions';

async function rssOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** Samples clamd's resident memory every 20 ms while `work` runs; returns the peak. */
async function peakDuring(
  daemon: ClamdDaemon,
  work: () => Promise<void>,
): Promise<{ peak: number; ms: number }> {
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await rssOf(daemon.pid));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  running = false;
  await sampler;
  return { peak, ms };
}

async function main() {
  const scale = (process.argv[2] ?? 'medium') as Scale;
  const work = await mkdtemp(path.join(os.tmpdir(), 'reload-bench-'));
  const db = path.join(work, 'db');
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  try {
    const signatures = await writeSyntheticDefinitions(db, scale);
    const daemon = new ClamdDaemon({
      workDir: work,
      databaseDir: db,
      binDir: undefined,
      maxFileSize: 300 * 2 ** 20,
      maxScanSize: 1200 * 2 ** 20,
      startTimeoutMs: 600_000,
    });
    const start = await peakDuring(daemon, async () => {
      await daemon.ensureRunning();
    });
    const steady = await rssOf(daemon.pid);
    const concurrent = await peakDuring(daemon, () => daemon.reload(600_000));
    const afterReload = await rssOf(daemon.pid);
    // A restart's peak is the new process alone: the old one is gone before it starts.
    const stopStarted = performance.now();
    await daemon.stop();
    const restart = await peakDuring(daemon, async () => {
      await daemon.ensureRunning();
    });
    restart.ms = performance.now() - stopStarted;
    await daemon.stop();
    console.log(`synthetic set: ${scale}, ${signatures.toLocaleString('en')} signatures`);
    console.log(`cold start: ${(start.ms / 1000).toFixed(1)} s, steady RSS ${mib(steady)}`);
    console.log(
      `concurrent reload: ${(concurrent.ms / 1000).toFixed(1)} s, peak RSS ${mib(concurrent.peak)} (${(concurrent.peak / steady).toFixed(2)}x steady); scans keep answering; RSS after it ${mib(afterReload)}`,
    );
    console.log(
      `restart: ${(restart.ms / 1000).toFixed(1)} s, peak RSS ${mib(restart.peak)}; scans wait for the load`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
