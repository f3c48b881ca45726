import { createReadStream } from 'node:fs';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startBareClamd } from '../lib/clamd';
import { makeContent } from '../lib/content';
import type { BenchContext } from '../lib/context';
import { type Stats, summarise, timed } from '../lib/stats';

export interface EngineSplitRow {
  /** Which files of the realistic set clamd loaded. */
  readonly files: string;
  readonly loadMs: number;
  /** clamd's zINSTREAM of a unique 1 KiB local file with only those files loaded. */
  readonly perFile: Stats;
}

/**
 * Where clamd's per-file time goes: clamd started on parts of the realistic set (only its
 * logical signatures, only its body signatures) and timed on small files, as in section 1.
 */
export async function measureEngineSplit(
  ctx: BenchContext,
  databaseDir: string,
  parts: ReadonlyArray<readonly string[]>,
  runs: number,
): Promise<EngineSplitRow[]> {
  const rows: EngineSplitRow[] = [];
  for (const extensions of parts) {
    const label = extensions.map((ext) => `.${ext}`).join(' + ');
    ctx.progress(`clamd per-file cost with only the realistic set's ${label}: ${runs} runs`);
    const dir = path.join(ctx.workDir, `split-${extensions.join('-')}`);
    await mkdir(path.join(dir, 'db'), { recursive: true });
    try {
      for (const ext of extensions) {
        await link(path.join(databaseDir, `synthetic.${ext}`), path.join(dir, 'db', `synthetic.${ext}`));
      }
      const clamd = await startBareClamd(path.join(dir, 'db'), path.join(dir, 'work'));
      try {
        const file = path.join(dir, 'sample');
        const times: number[] = [];
        // Two unrecorded scans first: clamd's first scan after a load is slower.
        for (let i = 0; i < runs + 2; i++) {
          await writeFile(file, makeContent(1024));
          const { ms } = await timed(() =>
            clamd.client.scanStream(createReadStream(file), { timeoutMs: 60_000 }),
          );
          if (i >= 2) times.push(ms);
        }
        rows.push({ files: label, loadMs: Math.round(clamd.loadMs), perFile: summarise(times) });
      } finally {
        await clamd.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
