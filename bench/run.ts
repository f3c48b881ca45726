/**
 * The benchmark: figures, never pass/fail. `npm run bench [-- --quick] [--json FILE] [--markdown FILE]`;
 * `--from-json FILE` reports a saved run again without measuring.
 * Runs on the real parts: lambda-av's S3 endpoint (S3 protocol, own process), Debian's clamd, clamdscan and
 * clamscan, our handler (`createScanFileHandler` + `Scanner`), the scan state machine executed
 * locally. See BENCHMARKS.md (written by `--markdown`) for the method.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { POLICY_DATABASE, POLICY_DATABASE_NAME } from '../src/definitions/policy';
import { writeTestSignatures } from '../src/local-scan/test-signatures';
import { renderBulkMarkdown, replaceBulkSection } from './lib/bulk-report';
import { writeClamdscanConf } from './lib/clamd';
import type { BenchContext, Engine } from './lib/context';
import { startLoadMonitor } from './lib/load';
import { describeMachine } from './lib/machine';
import { markedSection, withSection } from './lib/markdown-section';
import { memoryTables, renderMarkdownReport, renderTextReport } from './lib/report';
import type { BenchResults, EngineDescription } from './lib/results';
import { publishDefinitions, startBenchS3, startServerChild } from './lib/s3';
import { type BenchScanner, createBenchScanner } from './lib/scanner';
import { KiB, MiB } from './lib/stats';
import { renderText } from './lib/table';
import { evaluateTargets } from './lib/targets';
import { instrument } from './lib/timeline';
import { type BulkResult, measureBulk } from './sections/bulk';
import { measureColdStart } from './sections/cold-start';
import { measureConcurrency } from './sections/concurrency';
import { measureCost } from './sections/cost';
import { measureEngineSplit } from './sections/engine-split';
import { measureLatency } from './sections/latency';
import { measureMemory } from './sections/memory';
import { measureStateMachine } from './sections/state-machine';
import { measureThroughput } from './sections/throughput';
import { warmUp } from './sections/warm-up';
import { SCALES, writeSyntheticDefinitions } from './synthetic-definitions';

interface Options {
  readonly quick: boolean;
  readonly json?: string;
  readonly markdown?: string;
  /** Render the reports of a run saved with --json, measuring nothing. */
  readonly fromJson?: string;
  /**
   * Measure one section only: `bulk` is put into the --markdown page in place of its earlier
   * figures; `memory` is printed (and saved with --json) for a look between full runs.
   */
  readonly section?: 'bulk' | 'memory';
}

function parseArgs(argv: readonly string[]): Options {
  let quick = false;
  let json: string | undefined;
  let markdown: string | undefined;
  let fromJson: string | undefined;
  let section: Options['section'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (!next) throw new Error(`${arg} needs a file name`);
      return next;
    };
    if (arg === '--quick') quick = true;
    else if (arg === '--json') json = value();
    else if (arg.startsWith('--json=')) json = arg.slice('--json='.length);
    else if (arg === '--markdown') markdown = value();
    else if (arg.startsWith('--markdown=')) markdown = arg.slice('--markdown='.length);
    else if (arg === '--from-json') fromJson = value();
    else if (arg === '--section') {
      const name = value();
      if (name !== 'bulk' && name !== 'memory')
        throw new Error(`--section: only bulk and memory can be measured alone, got ${name}`);
      section = name;
    } else if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: npm run bench -- [--quick] [--json FILE] [--markdown FILE]\n' +
          '       npm run bench -- --from-json FILE [--markdown FILE]   (report a saved run again)\n' +
          '       npm run bench -- --section bulk [--quick] [--json FILE] [--markdown FILE]   (section 7 alone, put into FILE)\n' +
          '       npm run bench -- --section bulk --from-json FILE [--markdown FILE]\n' +
          '       npm run bench -- --section memory [--quick] [--json FILE]   (section 8 alone, printed)',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  return {
    quick,
    ...(json ? { json } : {}),
    ...(markdown ? { markdown } : {}),
    ...(fromJson ? { fromJson } : {}),
    ...(section ? { section } : {}),
  };
}

/** How much of everything: the full run takes minutes on 2 cores, the quick one seconds. */
function planFor(quick: boolean) {
  return quick
    ? {
        scale: 'small' as const,
        coldStartRuns: 1,
        warmUpRounds: 20,
        engineSplitRuns: 5,
        latency: {
          light: {
            sizes: [
              { bytes: KiB, runs: 10 },
              { bytes: MiB, runs: 4 },
              { bytes: 10 * MiB, runs: 2 },
            ],
            clamscanRuns: 3,
            warmups: 2,
          },
          realistic: {
            sizes: [
              { bytes: KiB, runs: 6 },
              { bytes: MiB, runs: 2 },
              { bytes: 10 * MiB, runs: 1 },
            ],
            clamscanRuns: 2,
            warmups: 2,
          },
        },
        throughput: { light: [8 * MiB, 24 * MiB], lightRuns: 1, realistic: 8 * MiB, realisticRuns: 1 },
        concurrency: { realisticScans: () => 8, lightBytes: MiB, lightScans: () => 8 },
        stateMachine: { runs: 5, warmups: 1 },
        cost: { sizes: [100 * KiB, MiB, 10 * MiB], runs: 1 },
        bulk: { objects: 200, sweepObjects: 100, sweep: [10, 100], realisticRuns: 1 },
        memory: {
          sizes: [
            { bytes: KiB, runs: 3 },
            { bytes: MiB, runs: 2 },
          ],
          memoryMiB: [2048, 3008, 4096],
          scanBytes: 8 * MiB,
        },
      }
    : {
        scale: 'official' as const,
        coldStartRuns: 3,
        warmUpRounds: 400,
        engineSplitRuns: 30,
        latency: {
          light: {
            sizes: [
              { bytes: KiB, runs: 200 },
              { bytes: MiB, runs: 50 },
              { bytes: 10 * MiB, runs: 24 },
            ],
            clamscanRuns: 10,
            warmups: 10,
          },
          realistic: {
            // A realistic 10 MiB run costs about a minute (five scans of ~9 s by clamd): 8 runs,
            // reported with the median's confidence interval; every other cell has at least 20.
            sizes: [
              { bytes: KiB, runs: 100 },
              { bytes: MiB, runs: 24 },
              { bytes: 10 * MiB, runs: 8 },
            ],
            clamscanRuns: 3,
            warmups: 5,
          },
        },
        throughput: { light: [100 * MiB, 300 * MiB], lightRuns: 2, realistic: 100 * MiB, realisticRuns: 2 },
        concurrency: {
          realisticScans: (c: number) => Math.max(32, 8 * c),
          lightBytes: 10 * MiB,
          lightScans: (c: number) => Math.max(8, 2 * c),
        },
        stateMachine: { runs: 100, warmups: 5 },
        cost: { sizes: [100 * KiB, MiB, 10 * MiB], runs: 5 },
        bulk: { objects: 5000, sweepObjects: 1000, sweep: [1, 10, 50, 100, 250, 500], realisticRuns: 3 },
        memory: {
          sizes: [
            { bytes: KiB, runs: 20 },
            { bytes: MiB, runs: 20 },
            { bytes: 10 * MiB, runs: 6 },
          ],
          memoryMiB: [2048, 3008, 4096],
          scanBytes: 300 * MiB,
        },
      };
}

const DEFINITIONS_BUCKET = 'bench-definitions';
const UPLOADS_BUCKET = 'bench-uploads';

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.section && options.fromJson) {
    const saved = JSON.parse(await readFile(options.fromJson, 'utf8')) as SavedSection;
    if (saved.section !== 'bulk') throw new Error(`${options.fromJson} is not a saved bulk section`);
    await reportSection(saved.bulk, options, new Date(saved.startedAt), saved.seconds, saved.machine);
    return;
  }
  if (options.fromJson) {
    const saved = JSON.parse(await readFile(options.fromJson, 'utf8')) as BenchResults;
    if (saved.schema !== 1) throw new Error(`${options.fromJson} is not a saved benchmark run (schema 1)`);
    // The targets are judged again: the figures are the run's, the explanations today's.
    await report({ ...saved, targets: evaluateTargets(saved) }, options);
    return;
  }
  const plan = planFor(options.quick);
  const startedAt = new Date();
  const started = performance.now();
  const progress = (message: string) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  const machine = await describeMachine();
  const load = startLoadMonitor();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-bench-'));
  const s3 = await startBenchS3();
  // Like S3, EventBridge is another machine in AWS: its stand-in runs in a process of its own.
  const eventBus = await startServerChild('eventbridge');
  const scanners: BenchScanner[] = [];
  let results: BenchResults;
  try {
    await s3.createBucket(DEFINITIONS_BUCKET);
    await s3.createBucket(UPLOADS_BUCKET);
    const ctx: BenchContext = {
      quick: options.quick,
      s3,
      workDir,
      bucket: UPLOADS_BUCKET,
      eventBridge: eventBus,
      progress,
    };

    load.section('set-up');
    progress(`generating the synthetic definitions set (${plan.scale} scale)`);
    const realisticDir = path.join(workDir, 'realistic-db');
    const signatures = await writeSyntheticDefinitions(realisticDir, plan.scale);
    const lightDir = path.join(workDir, 'light-db');
    await writeTestSignatures(lightDir);
    progress('publishing both sets to S3');
    const realisticSet = await publishDefinitions(
      s3,
      { bucket: DEFINITIONS_BUCKET, prefix: 'realistic' },
      realisticDir,
    );
    const lightSet = await publishDefinitions(s3, { bucket: DEFINITIONS_BUCKET, prefix: 'light' }, lightDir);
    // The scanner adds its policy signatures to every set: the local copies get them too.
    for (const dir of [realisticDir, lightDir])
      await writeFile(path.join(dir, POLICY_DATABASE_NAME), POLICY_DATABASE);

    const startBoth = async () => {
      const startEngine = async (
        id: Engine['id'],
        description: string,
        count: number,
        databaseDir: string,
      ) => {
        progress(`starting the warm scanner on the ${id} set`);
        const scanner = createBenchScanner({
          s3,
          eventBridge: eventBus,
          bucket: DEFINITIONS_BUCKET,
          prefix: id,
          workDir: path.join(workDir, `warm-${id}`),
        });
        scanners.push(scanner);
        await scanner.scanner.prepare();
        const clamdscanConf = path.join(workDir, `clamdscan-${id}.conf`);
        await writeClamdscanConf(clamdscanConf, scanner.scanner.engine.daemon.client.socketPath);
        const timeline = instrument(scanner);
        return {
          id,
          description,
          signatures: count,
          scanner,
          databaseDir,
          clamdscanConf,
          timeline,
        } satisfies Engine;
      };
      const counts = SCALES[plan.scale];
      const light = await startEngine(
        'light',
        "test signatures only: the EICAR body signature and the hash of ClamAV's clam.exe",
        2,
        lightDir,
      );
      const realistic = await startEngine(
        'realistic',
        `synthetic set in ClamAV's formats, ${plan.scale} scale: ${Object.entries(counts)
          .map(([ext, n]) => `${n.toLocaleString('en')} .${ext}`)
          .join(', ')}`,
        signatures,
        realisticDir,
      );
      return { light, realistic };
    };
    const measureMemorySection = () =>
      measureMemory(
        ctx,
        { definitionsBucket: DEFINITIONS_BUCKET, prefix: 'realistic', signatures },
        plan.memory,
        machine.cores,
      );
    if (options.section === 'memory') {
      load.section('memory');
      const memory = await measureMemorySection();
      console.log(memoryTables(memory).map(renderText).join('\n\n'));
      if (options.json)
        await writeFile(
          options.json,
          `${JSON.stringify({ schema: 1, section: 'memory', memory }, null, 2)}\n`,
        );
      return;
    }
    if (options.section === 'bulk') {
      const engines = await startBoth();
      load.section('warm-up');
      await warmUp(ctx, [engines.light, engines.realistic], Math.min(plan.warmUpRounds, 50));
      load.section('bulk scans');
      const bulk = await measureBulk(ctx, engines.light, engines.realistic, plan.bulk);
      await reportSection(bulk, options, startedAt, (performance.now() - started) / 1000, machine);
      return;
    }

    load.section('cold start');
    const coldStart = await measureColdStart(ctx, {
      runs: plan.coldStartRuns,
      databaseDir: realisticDir,
      signatures,
      published: realisticSet,
      definitionsBucket: DEFINITIONS_BUCKET,
      prefix: 'realistic',
    });

    load.section('set-up');
    const { light, realistic } = await startBoth();
    const engines: EngineDescription[] = [
      { id: 'realistic', description: realistic.description, signatures, MiB: realisticSet.bytes / MiB },
      { id: 'light', description: light.description, signatures: 2, MiB: lightSet.bytes / MiB },
    ];

    load.section('warm-up');
    await warmUp(ctx, [light, realistic], plan.warmUpRounds);
    load.section('latency, light set');
    const lightLatency = await measureLatency(ctx, light, plan.latency.light);
    load.section('latency, realistic set');
    const realisticLatency = await measureLatency(ctx, realistic, plan.latency.realistic);
    load.section('clamd per-file cost by signature type');
    const engineSplit = await measureEngineSplit(ctx, realisticDir, [['ldb'], ['ndb']], plan.engineSplitRuns);
    load.section('state machine');
    const stateMachine = await measureStateMachine(
      ctx,
      light,
      KiB,
      plan.stateMachine.runs,
      plan.stateMachine.warmups,
    );
    load.section('cost per scan');
    const cost = await measureCost(ctx, realistic, plan.cost.sizes, plan.cost.runs);
    load.section('bulk scans');
    const bulk = await measureBulk(ctx, light, realistic, plan.bulk);
    load.section('concurrency');
    const concurrency = [
      ...(await measureConcurrency(ctx, realistic, KiB, [1, 2, 4, 8], plan.concurrency.realisticScans)),
      ...(await measureConcurrency(
        ctx,
        light,
        plan.concurrency.lightBytes,
        [1, 2, 4, 8],
        plan.concurrency.lightScans,
      )),
    ];
    load.section('memory');
    const memory = await measureMemorySection();
    load.section('throughput');
    const throughput = await measureThroughput(ctx, [
      ...plan.throughput.light.flatMap((bytes) =>
        (['random', 'compressible'] as const).map((content) => ({
          engine: light,
          content,
          bytes,
          runs: plan.throughput.lightRuns,
        })),
      ),
      {
        engine: realistic,
        content: 'compressible',
        bytes: plan.throughput.realistic,
        runs: plan.throughput.realisticRuns,
      },
    ]);

    const measured = {
      latency: [...realisticLatency.rows, ...lightLatency.rows],
      clamscan: [realisticLatency.clamscan, lightLatency.clamscan],
      engineSplit,
      throughput,
      coldStart,
      concurrency,
      stateMachine,
      cost,
      bulk,
      memory,
    };
    results = {
      schema: 1,
      mode: options.quick ? 'quick' : 'full',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round(performance.now() - started) / 1000,
      machine,
      engines,
      ...measured,
      targets: evaluateTargets(measured),
      load: await load.stop(),
    };
  } finally {
    await load.stop();
    for (const scanner of scanners) await scanner.stop();
    await eventBus.stop();
    await s3.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  await report(results, options);
}

/** Section 7 measured alone, as `--section bulk --json FILE` saves it (`--from-json` renders it again). */
interface SavedSection {
  readonly schema: 1;
  readonly section: 'bulk';
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: Awaited<ReturnType<typeof describeMachine>>;
  readonly bulk: BulkResult;
}

/**
 * `--section bulk`: section 7 alone. Its tables are printed; with --markdown they replace section 7
 * of that page (BENCHMARKS.md), saying which run they come from; the rest of the page is the
 * full run's, untouched. --json saves the section's figures.
 */
async function reportSection(
  bulk: BulkResult,
  options: Options,
  startedAt: Date,
  seconds: number,
  machine: Awaited<ReturnType<typeof describeMachine>>,
): Promise<void> {
  const provenance = `Measured alone by \`npm run bench -- --section bulk${options.quick ? ' --quick' : ''}\` on ${startedAt.toISOString().slice(0, 10)} (${(seconds / 60).toFixed(1)} min, same machine: ${machine.cores} cores, ${machine.cpu}, ClamAV ${machine.clamav.replace(/^ClamAV /, '')}), after the full run above; every figure is that run's output.`;
  const markdown = renderBulkMarkdown(bulk, provenance);
  console.log(markdown);
  if (options.json && !options.fromJson) {
    const saved: SavedSection = {
      schema: 1,
      section: 'bulk',
      startedAt: startedAt.toISOString(),
      seconds,
      machine,
      bulk,
    };
    await writeFile(options.json, `${JSON.stringify(saved, null, 2)}\n`);
  }
  if (options.markdown) {
    await writeFile(options.markdown, replaceBulkSection(await readFile(options.markdown, 'utf8'), markdown));
  }
}

async function report(results: BenchResults, options: Options): Promise<void> {
  console.log(renderTextReport(results));
  if (options.json) {
    await mkdir(path.dirname(path.resolve(options.json)), { recursive: true });
    await writeFile(options.json, `${JSON.stringify(results, null, 2)}\n`);
  }
  if (options.markdown) {
    // The directory-scan benchmark's section (bench/dir-scan.ts) is its own run's: keep it.
    const kept = markedSection(await readFile(options.markdown, 'utf8').catch(() => ''));
    const report = renderMarkdownReport(results);
    await writeFile(options.markdown, kept === undefined ? report : withSection(report, kept));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
