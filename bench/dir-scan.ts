/**
 * Directory scans on a workstation, side by side on the same tree and the same definitions:
 * `lambda-av scan DIR` (clamd started, every file streamed into it), `clamscan -r DIR` (the tool
 * users compare it with), and `lambda-av scan --workflow` (each file through the local S3 server
 * and the scan state machine). Whole-command wall times, start-up and the daemon's start included;
 * figures, never pass/fail. Also: how long `lambda-av --help` takes to start.
 *
 *   npm run bench:dir-scan -- [--files 10000,100000] [--runs 3] [--workflow-files 1000]
 *                             [--scale light|small] [--json FILE] [--markdown FILE] [--quick]
 *
 * `--markdown FILE` replaces the section between the dir-scan markers in FILE (BENCHMARKS.md).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CONCURRENCY } from '../src/cli/scan-command';
import { POLICY_DATABASE, POLICY_DATABASE_NAME } from '../src/definitions/policy';
import { EICAR, writeTestSignatures } from '../src/local-scan/test-signatures';
import { startLoadMonitor } from './lib/load';
import { describeMachine, type MachineInfo } from './lib/machine';
import { SECTION_END, SECTION_START, withSection } from './lib/markdown-section';
import { type Stats, summarise } from './lib/stats';
import { renderMarkdown, renderText, type Table } from './lib/table';
import { writeSyntheticDefinitions } from './synthetic-definitions';

const REPO = path.join(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'lambda-av.js');

interface Options {
  readonly files: readonly number[];
  readonly runs: number;
  readonly workflowFiles: number;
  readonly helpRuns: number;
  readonly scale: 'light' | 'small';
  readonly json?: string;
  readonly markdown?: string;
}

interface Measured {
  readonly method: string;
  readonly files: number;
  readonly ms: Stats;
  /** CPU time, user + system, of the command and its children (clamd included). */
  readonly cpuMs: Stats;
  readonly filesPerSecond: number;
}

interface DirScanResults {
  readonly machine: MachineInfo;
  readonly scale: Options['scale'];
  readonly signatures: number;
  readonly trees: ReadonlyArray<{
    readonly files: number;
    readonly bytes: number;
    readonly infected: number;
  }>;
  readonly measured: readonly Measured[];
  readonly helpMs: Stats;
  readonly otherCores: number;
  readonly durationS: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string) => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const scale = value('--scale') ?? 'light';
  if (scale !== 'light' && scale !== 'small') throw new Error(`--scale light|small, got ${scale}`);
  return {
    files: (value('--files') ?? (quick ? '300' : '10000')).split(',').map(Number),
    runs: Number(value('--runs') ?? (quick ? 1 : 3)),
    workflowFiles: Number(value('--workflow-files') ?? (quick ? 100 : 1000)),
    helpRuns: quick ? 3 : 20,
    scale,
    ...(value('--json') ? { json: value('--json') as string } : {}),
    ...(value('--markdown') ? { markdown: value('--markdown') as string } : {}),
  };
}

/**
 * The tree: 100 files per directory, mostly small files, a few larger (sizes from a fixed seed,
 * contents random, so every file is unique: clamd skips content it has already seen clean).
 */
async function writeTree(root: string, files: number): Promise<{ bytes: number; infected: number }> {
  let state = 0x2545f491 ^ files;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  let bytes = 0;
  let infected = 0;
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `d${Math.floor(i / 1000)}`, `s${Math.floor(i / 100) % 10}`);
    if (i % 100 === 0) await mkdir(dir, { recursive: true });
    // 99 % between 512 B and 8 KiB, 1 % between 64 and 512 KiB: a source tree, documents.
    const size = next() < 0.99 ? 512 + Math.floor(next() * 7_680) : 65_536 + Math.floor(next() * 458_752);
    const content = randomBytes(size);
    // One file in a thousand holds EICAR.
    if (i % 1000 === 50) {
      content.write(EICAR, 16);
      infected++;
    }
    await writeFile(path.join(dir, `f${i}.dat`), content);
    bytes += size;
  }
  return { bytes, infected };
}

/**
 * Runs a command to completion with its output in a file; returns its wall time and the CPU time
 * it and its children used (user + system, clamd included), as bash's `time` reports them. The
 * command and its arguments reach bash as positional parameters, never as shell text.
 */
async function timedRun(file: string, args: readonly string[], env: NodeJS.ProcessEnv, out: string) {
  let stderr = '';
  const code = await new Promise<number>((resolve, reject) => {
    const script = 'TIMEFORMAT="%3R %3U %3S"; time "$@" > "$BENCH_OUTPUT" 2>/dev/null';
    const child = spawn('bash', ['-c', script, 'timed', file, ...args], {
      env: { ...env, BENCH_OUTPUT: out },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (status) => resolve(status ?? -1));
  });
  const [real, user, system] = (stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  if (real === undefined || Number.isNaN(real)) throw new Error(`no timing from bash: ${stderr}`);
  return {
    ms: real * 1000,
    cpuMs: ((user ?? 0) + (system ?? 0)) * 1000,
    code,
    output: await readFile(out, 'utf8'),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const began = performance.now();
  const work = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-bench-dir-'));
  const load = startLoadMonitor();
  try {
    const machine = await describeMachine();
    // One database directory for both: test signatures (EICAR, ClamAV's test files), for
    // --scale small a synthetic set beside them, and our policy signatures, which lambda-av adds
    // by itself and clamscan is given explicitly.
    const definitions = path.join(work, 'definitions');
    await writeTestSignatures(definitions);
    let signatures = 2;
    if (options.scale === 'small') signatures += await writeSyntheticDefinitions(definitions, 'small');
    const clamscanDefinitions = path.join(work, 'clamscan-definitions');
    await writeTestSignatures(clamscanDefinitions);
    if (options.scale === 'small') await writeSyntheticDefinitions(clamscanDefinitions, 'small');
    await writeFile(path.join(clamscanDefinitions, POLICY_DATABASE_NAME), POLICY_DATABASE);
    signatures += 1;

    const env = { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' };
    const out = path.join(work, 'out.txt');
    const trees: Array<DirScanResults['trees'][number]> = [];
    const measured: Measured[] = [];
    for (const files of options.files) {
      load.section(`tree of ${files} files`);
      const tree = path.join(work, `tree-${files}`);
      const written = await writeTree(tree, files);
      trees.push({ files, ...written });
      const ours: Array<{ ms: number; cpuMs: number }> = [];
      const theirs: Array<{ ms: number; cpuMs: number }> = [];
      for (let run = 0; run < options.runs; run++) {
        // Alternating, so both see the same machine.
        load.section(`lambda-av scan, ${files} files`);
        const a = await timedRun(
          process.execPath,
          [BIN, 'scan', '--definitions', definitions, tree],
          env,
          out,
        );
        check(
          a,
          1,
          new RegExp(
            `Files scanned: ${files}\\nClean: ${files - written.infected}\\nInfected: ${written.infected}\\n`,
          ),
        );
        ours.push(a);
        load.section(`clamscan -r, ${files} files`);
        const b = await timedRun('clamscan', ['-r', '-d', clamscanDefinitions, tree], env, out);
        check(
          b,
          written.infected > 0 ? 1 : 0,
          new RegExp(`Scanned files: ${files}\\nInfected files: ${written.infected}\\n`),
        );
        theirs.push(b);
      }
      measured.push(entry('lambda-av scan', files, ours), entry('clamscan -r', files, theirs));
    }

    // The workflow path on the first directories of the smallest tree: the same files.
    const smallest = Math.min(...options.files);
    const subset = Math.min(options.workflowFiles, smallest);
    const dirs: string[] = [];
    for (let i = 0; i < subset; i += 100) {
      dirs.push(
        path.join(work, `tree-${smallest}`, `d${Math.floor(i / 1000)}`, `s${Math.floor(i / 100) % 10}`),
      );
    }
    const counted = Math.min(smallest, dirs.length * 100);
    load.section(`lambda-av scan --workflow, ${counted} files`);
    const w = await timedRun(
      process.execPath,
      [BIN, 'scan', '--workflow', '--definitions', definitions, ...dirs],
      env,
      out,
    );
    check(w, -1, new RegExp(`Files scanned: ${counted}\\n`));
    measured.push(entry('lambda-av scan --workflow', counted, [w]));

    load.section('lambda-av --help');
    const help: number[] = [];
    for (let run = 0; run < options.helpRuns; run++) {
      help.push((await timedRun(process.execPath, [BIN, '--help'], env, out)).ms);
    }

    const loads = await load.stop();
    const seconds = loads.reduce((sum, row) => sum + row.seconds, 0);
    const results: DirScanResults = {
      machine,
      scale: options.scale,
      signatures,
      trees,
      measured,
      helpMs: summarise(help),
      otherCores:
        seconds > 0 ? round2(loads.reduce((s, row) => s + row.otherCores * row.seconds, 0) / seconds) : 0,
      durationS: Math.round((performance.now() - began) / 1000),
    };
    const tables = render(results);
    console.log(tables.map(renderText).join('\n\n'));
    if (options.json) await writeFile(options.json, `${JSON.stringify(results, null, 2)}\n`);
    if (options.markdown) await writeMarkdown(options.markdown, results, tables);
  } finally {
    await load.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function check(run: { code: number; output: string }, code: number, expected: RegExp): void {
  if ((code >= 0 && run.code !== code) || !expected.test(run.output)) {
    throw new Error(
      `unexpected result (exit ${run.code}, expected ${code}, ${expected}):\n${run.output.slice(-800)}`,
    );
  }
}

function entry(method: string, files: number, runs: ReadonlyArray<{ ms: number; cpuMs: number }>): Measured {
  const stats = summarise(runs.map((run) => run.ms));
  return {
    method,
    files,
    ms: stats,
    cpuMs: summarise(runs.map((run) => run.cpuMs)),
    filesPerSecond: Math.round(files / (stats.median / 1000)),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function render(results: DirScanResults): Table[] {
  const clamscan = (files: number) =>
    results.measured.find((m) => m.method === 'clamscan -r' && m.files === files)?.ms.median;
  const scans: Table = {
    title: `Whole-command wall time, s (median of ${results.measured[0]?.ms.n ?? 0} runs; min-max), and files per second`,
    columns: ['command', 'files', 'wall time', 'min-max', 'files/s', 'vs clamscan -r', 'CPU time'],
    rows: results.measured.map((m) => {
      const baseline = clamscan(m.files);
      return [
        m.method,
        String(m.files),
        (m.ms.median / 1000).toFixed(2),
        m.ms.n > 1 ? `${(m.ms.min / 1000).toFixed(2)}-${(m.ms.max / 1000).toFixed(2)}` : '',
        String(m.filesPerSecond),
        baseline === undefined ? '' : `${(m.ms.median / baseline).toFixed(2)}x the time`,
        (m.cpuMs.median / 1000).toFixed(2),
      ];
    }),
    notes: [
      `Trees: ${results.trees.map((t) => `${t.files} files, ${(t.bytes / 2 ** 20).toFixed(0)} MiB, ${t.infected} EICAR`).join('; ')} (99 % of files 0.5-8 KiB, 1 % 64-512 KiB, every file unique, 100 per directory).`,
      `Definitions: ${results.scale === 'light' ? 'the test signatures' : "the test signatures and the synthetic 'small' set"} and lambda-av's policy signatures (${results.signatures} files), the same for both.`,
      `lambda-av scan: start-up, clamd started on them, every file streamed into it (${DEFAULT_CONCURRENCY} clamd sessions), clamd stopped; clamscan -r: start-up, load, scan, one process.`,
      '--workflow: each file uploaded to the embedded S3 server and scanned by the scan state machine, on the first files of the smallest tree (one run).',
      `CPU time: user + system seconds of the command and its children (clamd included), median. ${cpuNote(results)}`,
      ...(results.otherCores >= 0.25
        ? [
            `Other processes used ${results.otherCores.toFixed(2)} cores during the run: clamscan, one process on one core, loses more wall time to them than lambda-av, whose clamd threads and command run on both; CPU time is the figure they disturb least.`,
          ]
        : []),
    ],
  };
  const help: Table = {
    title: `lambda-av --help, ms (${results.helpMs.n} runs)`,
    columns: ['median', 'min', 'max'],
    rows: [[results.helpMs.median.toFixed(0), results.helpMs.min.toFixed(0), results.helpMs.max.toFixed(0)]],
  };
  return [scans, help];
}

/** How the two commands' CPU times compare on the first tree, in words. */
function cpuNote(results: DirScanResults): string {
  const files = results.trees[0]?.files;
  const cpu = (method: string) =>
    results.measured.find((m) => m.method === method && m.files === files)?.cpuMs.median;
  const ours = cpu('lambda-av scan');
  const theirs = cpu('clamscan -r');
  if (ours === undefined || theirs === undefined) return '';
  return ours > theirs
    ? `lambda-av uses ${(ours / theirs).toFixed(1)}x clamscan's CPU time on ${files} files (clamd copies each stream to a file before scanning it, and the command runs beside it), spread over the cores.`
    : `lambda-av uses ${(ours / theirs).toFixed(1)}x clamscan's CPU time on ${files} files.`;
}

async function writeMarkdown(file: string, results: DirScanResults, tables: readonly Table[]): Promise<void> {
  const m = results.machine;
  const section = [
    SECTION_START,
    '## Directory scans on a workstation',
    '',
    `Generated by \`npm run bench:dir-scan -- ${process.argv.slice(2).join(' ')}\` (bench/dir-scan.ts) on ${m.date.slice(0, 10)}, in ${results.durationS} s; every figure is that run's output. Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node.js ${m.node}, ${m.clamav}. Other processes used ${results.otherCores.toFixed(2)} of the ${m.cores} cores on average during the run.`,
    '',
    ...tables.flatMap((table) => [renderMarkdown(table), '']),
    SECTION_END,
  ].join('\n');
  const existing = existsSync(file) ? await readFile(file, 'utf8') : '';
  const updated = withSection(existing, section);
  await writeFile(file, updated);
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
