import type { MemoryResult } from '../sections/memory';
import { BULK_END, BULK_START, bulkTables } from './bulk-report';
import { costTables } from './cost-report';
import type { PeakMemory } from './processes';
import type { BenchResults } from './results';
import type { Stats } from './stats';
import { ms, renderMarkdown, renderText, type Table, times } from './table';

const mp = (s: Stats) => `${ms(s.median)} / ${ms(s.p99)}`;
/** Median with its 95 % confidence interval; runs saved before intervals were recorded: median / p99. */
const mci = (s: Stats | undefined) => {
  if (!s) return '';
  return s.ciLow !== undefined && s.ciHigh !== undefined
    ? `${ms(s.median)} [${ms(s.ciLow)}-${ms(s.ciHigh)}]`
    : mp(s);
};
/** A ratio's run-by-run median and interval when recorded, else the ratio of medians. */
const ratioCell = (paired: Stats | undefined, ofMedians: number) =>
  paired?.ciLow !== undefined && paired.ciHigh !== undefined
    ? `${times(paired.median)} [${times(paired.ciLow)}-${times(paired.ciHigh)}]`
    : times(ofMedians);
const setName = (engine: string) => (engine === 'realistic' ? 'realistic' : 'light');
const mibps = (value: number) => (value >= 10 ? value.toFixed(1) : value.toFixed(2));
const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;

function tables(r: BenchResults): Table[] {
  const latency: Table = {
    title: '1. Warm scan latency, ms (median [95 % confidence interval of the median])',
    columns: [
      'set',
      'size',
      'runs',
      'our handler',
      'our scan step',
      'original (clamdscan)',
      'original scan step',
      'clamd zINSTREAM local',
      'clamd zSCAN local',
      'S3 GET',
      'S3 PutTagging',
      'floor',
      'original / handler',
      'orig. step / our step',
      'handler / floor',
    ],
    rows: r.latency.map((row) => [
      setName(row.engine),
      row.size,
      String(row.runs),
      mci(row.handler),
      mci(row.scanStep),
      mci(row.original),
      mci(row.originalStep),
      mci(row.clamdInstream),
      mci(row.clamdZscan),
      mci(row.s3Get),
      mci(row.s3PutTagging),
      ms(row.floorMs),
      ratioCell(row.paired?.originalOverHandler, row.originalOverHandler),
      times(row.originalStepOverScanStep),
      ratioCell(row.paired?.handlerOverFloor, row.handlerOverFloor),
    ]),
    notes: [
      'The interval in brackets is a distribution-free 95 % confidence interval of the median (order statistics of a binomial(n, 1/2)); below 6 runs it is the whole range and covers less.',
      'floor = median S3 GET + median PutObjectTagging + median clamd zINSTREAM of the same kind of bytes from local disk.',
      "original / handler and handler / floor: the median of the ratio taken run by run (every method of a run ran back to back on that run's objects), with its interval; runs saved before that: the ratio of the medians.",
    ],
  };
  const beside: Table = {
    title: "1a. Beside the floor: what the handler does that the floor does not, and clamd's work, per scan",
    columns: [
      'set',
      'size',
      'S3 GetObjectTagging alone, ms',
      'PutEvents alone, ms',
      'handler - floor, ms',
      'clamd CPU per handler scan, ms',
      'clamd CPU per local zINSTREAM, ms',
    ],
    rows: r.latency
      .filter((row) => row.s3GetTagging || row.putEvents || row.clamdCpuMs)
      .map((row) => [
        setName(row.engine),
        row.size,
        mci(row.s3GetTagging),
        mci(row.putEvents),
        ms(row.handler.median - row.floorMs),
        row.clamdCpuMs ? ms(row.clamdCpuMs.handler) : '',
        row.clamdCpuMs ? ms(row.clamdCpuMs.instream) : '',
      ]),
    notes: [
      'The tag read runs beside the scan; the result event is published after the tag write, as README "Result events" says. Both are timed alone in every run, on the same clients as the handler.',
      "clamd CPU: user + system time of clamd's process (all threads) over the call, from /proc/PID/stat, mean per run (10 ms ticks): equal columns mean clamd did the same work for the handler's stream as for the local file.",
    ],
  };
  const phases: Table = {
    title: '1b. The original method phase by phase, ms (median / p99)',
    columns: [
      'set',
      'size',
      'HeadObject + GetObject to file',
      'clamdscan process',
      'GetObjectTagging + PutObjectTagging',
    ],
    rows: r.latency.map((row) => [
      setName(row.engine),
      row.size,
      mp(row.originalPhases.download),
      mp(row.originalPhases.clamdscan),
      mp(row.originalPhases.tagging),
    ]),
  };
  const timeline: Table = {
    title: '1c. Our handler, where the time goes, ms (medians)',
    columns: [
      'set',
      'size',
      'whole handler',
      'before GetObject',
      'GetObject headers',
      'headers to stream start',
      'stream + clamd verdict',
      'tag read (beside the scan)',
      'verdict to tag write',
      'PutObjectTagging',
      'after',
    ],
    rows: r.latency.map((row) => [
      setName(row.engine),
      row.size,
      ms(row.handler.median),
      ms(row.handlerTimeline.beforeGet),
      ms(row.handlerTimeline.getHeaders),
      ms(row.handlerTimeline.getToStream),
      ms(row.handlerTimeline.streamAndScan),
      ms(row.handlerTimeline.tagRead),
      ms(row.handlerTimeline.verdictToPut),
      ms(row.handlerTimeline.tagWrite),
      ms(row.handlerTimeline.afterPut),
    ]),
    notes: [
      "From a middleware on the scanner's S3 client and a wrapper around its clamd client (bench-side only).",
    ],
  };
  const clamscan: Table = {
    title: '1d. Per-invocation clamscan (the original method with clamscan), ms (median / p99)',
    columns: ['set', 'size', 'runs', 'whole method', 'clamscan process', 'method / our warm handler'],
    rows: r.clamscan.map((row) => [
      setName(row.engine),
      row.size,
      String(row.runs),
      mp(row.method),
      mp(row.clamscan),
      times(row.overHandler),
    ]),
  };
  const split: Table = {
    title:
      "1e. clamd's per-file time by signature type: the realistic set's files loaded apart, unique 1 KiB files, ms",
    columns: ['files loaded', 'clamd load', 'zINSTREAM of 1 KiB (median / p99)', 'runs'],
    rows: [
      ...r.engineSplit.map((row) => [
        row.files,
        `${seconds(row.loadMs)}`,
        mp(row.perFile),
        String(row.perFile.n),
      ]),
      ...r.latency
        .filter((row) => row.engine === 'realistic' && row.bytes === 1024)
        .map((row) => ['the whole set (section 1)', '', mp(row.clamdInstream), String(row.runs)]),
    ],
  };
  const throughput: Table = {
    title: '2. Throughput, MiB/s (at the median / at the p99 duration)',
    columns: [
      'set',
      'content',
      'size',
      'runs',
      'our handler',
      'clamd zINSTREAM local (ceiling)',
      'S3 GET alone',
      'handler / clamd',
      'same, clamd scan time equalised',
      'handler: stream + scan after, s',
      'local: stream + scan after, s',
    ],
    rows: r.throughput.map((row) => [
      setName(row.engine),
      row.content,
      row.size,
      String(row.runs),
      `${row.handlerMiBps.median} / ${row.handlerMiBps.p99}`,
      `${row.clamdMiBps.median} / ${row.clamdMiBps.p99}`,
      `${row.s3GetMiBps.median} / ${row.s3GetMiBps.p99}`,
      `${(row.handlerOverClamd * 100).toFixed(0)} %`,
      `${(row.handlerOverClamdSameScan * 100).toFixed(0)} %`,
      `${seconds(row.split.handlerTransferMs)} + ${seconds(row.split.handlerAfterStreamMs)}`,
      `${seconds(row.split.clamdTransferMs)} + ${seconds(row.split.clamdAfterStreamMs)}`,
    ]),
    notes: [
      "stream = until the last byte was handed to clamd's socket; scan after = from there to the verdict (clamd writes a zINSTREAM stream to a temporary file and scans it once the stream ends); medians.",
    ],
  };
  const c = r.coldStart;
  const cold: Table = {
    title: `3. Cold start, realistic set (${c.signatures.toLocaleString('en')} signatures, ${c.setMiB} MiB), ${c.runs} runs (median / p99)`,
    columns: ['measure', 'time', 'peak RSS'],
    rows: [
      [
        'fresh scanner process, first invocation to verdict',
        `${seconds(c.toFirstVerdict.median)} / ${seconds(c.toFirstVerdict.p99)}`,
        `${c.scannerPeak.treeMiB} MiB (node ${c.scannerPeak.rootMiB} + clamd ${c.scannerPeak.childrenMiB})`,
      ],
      [
        '  of which clamd start (spawn to PONG)',
        `${seconds(c.daemonStart.median)} / ${seconds(c.daemonStart.p99)}`,
        '',
      ],
      [
        '  of which definitions (manifest, download, SHA-256)',
        `${seconds(c.definitionsAndRest.median)} / ${seconds(c.definitionsAndRest.p99)}`,
        '',
      ],
      ['  of which first scan (1 KiB)', `${ms(c.firstScan.median)} ms / ${ms(c.firstScan.p99)} ms`, ''],
      [
        'floor: plain download of the set from S3',
        `${seconds(c.download.median)} / ${seconds(c.download.p99)}`,
        '',
      ],
      [
        'floor: clamd bare load from local disk',
        `${seconds(c.bareLoad.median)} / ${seconds(c.bareLoad.p99)}`,
        `${c.bareClamdPeakMiB} MiB`,
      ],
      ['first verdict / (download + bare load)', times(c.overFloor), ''],
    ],
  };
  const concurrency: Table = {
    title: '4. Concurrency: simultaneous warm scans on one instance',
    columns: [
      'set',
      'size',
      'simultaneous',
      'scans',
      'total s',
      'scans/s',
      'MiB/s',
      'speed-up',
      'per-scan ms (median / p99)',
    ],
    rows: r.concurrency.map((row) => [
      setName(row.engine),
      row.size,
      String(row.concurrency),
      String(row.scans),
      row.seconds.toFixed(2),
      String(row.scansPerSecond),
      mibps((row.scans * row.bytes) / 2 ** 20 / row.seconds),
      times(row.speedup),
      mp(row.latency),
    ]),
  };
  const sm = r.stateMachine;
  const stateMachine: Table = {
    title: `5. State machine overhead, ${setName(sm.engine)} set, ${sm.size}, ${sm.runs} runs, ms (median / p99)`,
    columns: ['path', 'time', 'overhead (median)'],
    rows: [
      ['handler called directly', mp(sm.direct), ''],
      [
        'scan.asl.json run locally (HeadObject, size check, Lambda Invoke)',
        mp(sm.stateMachine),
        `${ms(sm.overheadMs)} ms`,
      ],
    ],
  };
  const load: Table = {
    title: `Machine load during the run, in cores (this machine has ${r.machine.cores})`,
    columns: ['section', 'seconds', 'this benchmark', 'other processes'],
    rows: r.load.map((row) => [
      row.section,
      row.seconds.toFixed(0),
      row.benchCores.toFixed(2),
      row.otherCores.toFixed(2),
    ]),
    notes: [
      "From /proc/stat and /proc/PID/stat every 0.5 s: CPU time of this benchmark's process tree (node, the S3 endpoint, clamd, clamdscan, clamscan) and of everything else.",
    ],
  };
  return [
    latency,
    ...(beside.rows.length > 0 ? [beside] : []),
    phases,
    timeline,
    clamscan,
    split,
    throughput,
    cold,
    concurrency,
    stateMachine,
    ...(r.cost ? costTables(r.cost) : []),
    ...(r.bulk ? bulkTables(r.bulk) : []),
    ...(r.memory ? memoryTables(r.memory) : []),
    load,
  ];
}

const mib = (peak: PeakMemory) => `${peak.treeMiB} MiB (node ${peak.rootMiB} + clamd ${peak.childrenMiB})`;

/** Section 8: the scanner's memory, and a scan's latency and cost by memory size. */
export function memoryTables(m: MemoryResult): Table[] {
  const rest = m.atRest.treeMiB;
  const resident: Table = {
    title: `8a. Resident memory of the scanner (node + clamd), ${m.engine} set (${m.signatures.toLocaleString('en')} signatures), peak of samples every 25 ms`,
    columns: ['moment', 'time', 'peak RSS', 'over at rest'],
    rows: [
      ['at rest, after start-up and 5 scans of 1 KiB', '', mib(m.atRest), ''],
      [
        `during one scan of ${m.scan.size} (compressible)`,
        seconds(m.scan.ms),
        mib(m.scan.peak),
        `+${Math.round(m.scan.peak.treeMiB - rest)} MiB`,
      ],
      ...m.reloads.map((reload) => [
        reload.strategy === 'concurrent'
          ? 'during a reload, concurrent (zRELOAD, scans go on)'
          : 'during a reload, restart (clamd stopped and started, scans wait)',
        seconds(reload.ms),
        mib(reload.peak),
        `+${Math.round(reload.peak.treeMiB - rest)} MiB`,
      ]),
    ],
    notes: [
      "RSS counts the pages a process has in memory, the file pages it maps included; Lambda counts the memory of the whole execution environment against the function's memory size.",
    ],
  };
  const sizes: Table = {
    title: `8b. One warm scan by the function's memory size, ${m.engine} set, random content: latency ms (median [95 % CI]) and cost`,
    columns: [
      'size',
      'memory',
      'vCPU share',
      'how',
      'runs',
      'latency',
      'CPU (node + clamd), ms',
      'billed ms',
      'USD per million scans',
    ],
    rows: m.sizes.map((row) => [
      row.size,
      `${row.memoryMiB} MB`,
      row.vcpus.toFixed(2),
      row.how,
      String(row.latency.n),
      `${ms(row.latency.median)} [${ms(row.latency.ciLow ?? row.latency.min)}-${ms(row.latency.ciHigh ?? row.latency.max)}]`,
      ms(row.cpuMs),
      String(row.billedMs),
      `$${row.usdPerMillion.toFixed(2)}`,
    ]),
    notes: [
      `CPU limit: ${m.cpuLimit}. Lambda gives a function one vCPU's worth of CPU time per second at 1,769 MB, in proportion to its memory: the scanner's process and its clamd ran in one group with that share as a CFS quota, the sizes interleaved run by run.`,
      "computed from CPU time: a share above this machine's cores cannot be shown by a quota; such a scan takes the larger of its time with every core here and its CPU time spread over the share (when node and clamd together used less than the cores here, more would not have made it faster).",
      "Cost: Lambda x86_64 duration (the median rounded up to the millisecond, at the size's GB) plus the request, us-east-1 list prices (bench/prices.ts); S3, Step Functions and the rest do not depend on the memory size (section 6).",
    ],
  };
  return [resident, sizes];
}

/** Caveats computed from the run itself, printed with the figures. */
function notes(r: BenchResults): string[] {
  const out: string[] = [];
  const few = [
    ...r.latency
      .filter((row) => row.runs < 20)
      .map((row) => `latency ${setName(row.engine)} ${row.size} (${row.runs})`),
    ...r.throughput
      .filter((row) => row.runs < 10)
      .map((row) => `throughput ${setName(row.engine)} ${row.size} ${row.content} (${row.runs})`),
    ...(r.coldStart.runs < 10 ? [`cold start (${r.coldStart.runs})`] : []),
  ];
  if (few.length > 0) {
    out.push(
      `Fewer than 20 runs (latency) or 10 (the rest), so medians that can move from run to run: ${few.join(', ')}. Each of them costs seconds to minutes per run on this machine; section 1 gives each median's 95 % confidence interval, the other sections the slowest run (p99).`,
    );
  }
  const busiest = [...r.load].sort((a, b) => b.otherCores - a.otherCores)[0];
  if (busiest) {
    out.push(
      `Other processes on the machine used ${otherLoad(r).toFixed(2)} of its ${r.machine.cores} cores on average during the run, up to ${busiest.otherCores.toFixed(2)} during "${busiest.section}"; the figures compete with them for CPU.`,
    );
  }
  out.push(
    `lambda-av's S3 endpoint is a single-threaded Node.js server running on the same ${r.machine.cores} cores (a 1 KiB GET takes about ${ms(r.latency.find((row) => row.engine === 'light')?.s3Get.median ?? 0)} ms here): its work competes with our process and clamd for CPU, where in AWS S3 is another machine. That weighs on our handler and the original alike.`,
  );
  const above = r.throughput.filter((row) => row.handlerOverClamd > 1.05);
  if (above.length > 0) {
    out.push(
      `Throughput above 100 % of the ceiling (${above.map((row) => `${setName(row.engine)} ${row.size} ${row.content}: ${(row.handlerOverClamd * 100).toFixed(0)} %`).join(', ')}): clamd's own scan after the stream differed between the two paths by more than the handler's overhead (see the split columns); the equalised column charges the handler only with its own time.`,
    );
  }
  const light = r.latency.filter((row) => row.engine === 'light').sort((a, b) => b.bytes - a.bytes)[0];
  if (light) {
    out.push(
      `clamd writes a zINSTREAM stream to a temporary file and scans that file once the stream ends, so zINSTREAM of a local file costs more than zSCAN of it (${light.size}, light set: ${ms(light.clamdInstream.median)} vs ${ms(light.clamdZscan.median)} ms). The floor uses zINSTREAM, the only way to hand clamd bytes that are not on its disk.`,
    );
  }
  return out;
}

function targetLines(r: BenchResults): string[] {
  return r.targets.flatMap((t) => [
    `[${t.met ? 'met' : 'missed'}] ${t.description}: ${times(t.value).replace(/x$/, t.goal.includes('x') ? 'x' : '')} (goal ${t.goal}); ${t.measured}`,
    ...(t.limitedBy ? [`    limited by: ${t.limitedBy}`] : []),
  ]);
}

/** Average CPU, in cores, used by processes outside the benchmark over the whole run. */
function otherLoad(r: BenchResults): number {
  const seconds = r.load.reduce((sum, row) => sum + row.seconds, 0);
  return seconds > 0 ? r.load.reduce((sum, row) => sum + row.otherCores * row.seconds, 0) / seconds : 0;
}

function header(r: BenchResults): string[] {
  const m = r.machine;
  return [
    `lambda-av-daemon benchmark, ${r.mode} run, ${r.startedAt}, ${(r.durationSeconds / 60).toFixed(1)} min`,
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Linux ${m.kernel}, Node ${m.node}, ${m.clamav}`,
    ...r.engines.map(
      (e) =>
        `${e.id} set: ${e.description} (${e.signatures.toLocaleString('en')} signatures, ${e.MiB.toFixed(1)} MiB)`,
    ),
    `other processes on the machine used ${otherLoad(r).toFixed(2)} of its ${m.cores} cores on average during the run (see the load table)`,
  ];
}

export function renderTextReport(r: BenchResults): string {
  return [
    ...header(r),
    '',
    ...tables(r).flatMap((t) => [renderText(t), '']),
    'Targets (figures, not a pass/fail: the exit code does not depend on them)',
    ...targetLines(r),
    '',
    'Notes',
    ...notes(r).map((note) => `- ${note}`),
    '',
  ].join('\n');
}

export function renderMarkdownReport(r: BenchResults): string {
  const m = r.machine;
  return [
    '# Benchmarks',
    '',
    `Generated by the benchmark itself (\`npm run bench -- --json FILE --markdown BENCHMARKS.md\`) from one ${r.mode} run on ${r.startedAt.slice(0, 10)} that took ${(r.durationSeconds / 60).toFixed(1)} min. Every figure below is that run's output; none is edited by hand. Targets are judged on medians, never as an exit code.`,
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${m.cpu} |`,
    `| cores | ${m.cores} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| OS | ${m.os}, Linux ${m.kernel} |`,
    `| Node.js | ${m.node} |`,
    `| ClamAV | ${m.clamav} |`,
    `| date | ${m.date} |`,
    `| other load | ${otherLoad(r).toFixed(2)} cores used by other processes on average during the run |`,
    '',
    '## Targets',
    '',
    ...r.targets.flatMap((t) => [
      `- **${t.met ? 'met' : 'missed'}**: ${t.description}. Goal ${t.goal}, measured ${t.goal.includes('x') ? times(t.value) : t.value.toFixed(2)} (${t.measured}).${t.limitedBy ? ` *Limited by:* ${t.limitedBy}` : ''}`,
    ]),
    '',
    '## Notes on these figures',
    '',
    ...notes(r).map((note) => `- ${note}`),
    '',
    '## Results',
    '',
    ...tables(r).flatMap((t) => {
      // Section 7 between markers: `npm run bench -- --section bulk` can renew it alone.
      if (t.title.startsWith('7a.')) return [BULK_START, '', renderMarkdown(t), ''];
      if (t.title.startsWith('7c.')) return [renderMarkdown(t), '', BULK_END, ''];
      return [renderMarkdown(t), ''];
    }),
    METHOD(r),
  ].join('\n');
}

function METHOD(r: BenchResults): string {
  const realistic = r.engines.find((e) => e.id === 'realistic');
  const light = r.engines.find((e) => e.id === 'light');
  return `## Method

Everything runs on one machine, on 127.0.0.1, on the real parts: **lambda-av's S3 endpoint** (src/local/s3/) speaking the S3
protocol (in a process of its own, as S3 is another machine in AWS) with the normal
\`@aws-sdk/client-s3\`; Debian's **clamd**, **clamdscan** and **clamscan**; **our handler**
(\`createScanFileHandler\` with a \`Scanner\`, as the Lambda runs it, logs and metrics silenced);
the scan state machine (\`statemachine/scan.asl.json\`) executed by aws-local-stepfunctions behind
the local Lambda Invoke endpoint. The benchmark's own code is in \`bench/\`; \`npm run bench\`
prints the same tables, \`--json FILE\` writes every figure, \`--markdown FILE\` writes this page,
\`--from-json FILE\` renders a saved run again.

**Definitions.** Two sets, each published to S3 as the updater publishes them (content-addressed
files and \`manifest.json\`), each with its own warm scanner instance and clamd:

- *realistic*: ${realistic?.description} (${realistic?.signatures.toLocaleString('en')} signatures,
  ${realistic?.MiB.toFixed(0)} MiB of text), generated deterministically by
  \`bench/synthetic-definitions.ts\`, the size and composition of ClamAV's official set. Its body
  and logical signatures are random bytes that apply to every file type, so every file pays for
  all of them. Costs measured with it (per file: section 1e; per byte of random content: about
  1 s per MiB, section 1) may be higher than with ClamAV's official set, whose signatures are not
  random and many of which apply to one file type only; this benchmark does not measure the
  official set. At that per-byte cost a 300 MiB random object takes minutes per scan, so its
  large objects are measured on compressible content only.
- *light*: ${light?.description}. clamd does almost no matching work, so what is left is the cost
  of moving bytes and of each method itself.

**Unique content.** clamd skips content whose MD5 it already found clean, so every scan gets
content of its own: random bytes, or for *compressible* content log-like ASCII text (about 5x
with gzip) assembled from 1 MiB blocks, made unique by its first 32 bytes. Where "the same bytes"
are compared (throughput), the local file is the uploaded object with only those 32 bytes renewed.

**Warm-up.** Before the first measurement, a few hundred unrecorded rounds of every S3 call and
scan: the Node.js processes (ours and the S3 endpoint's) get faster over their first few hundred requests
as V8 compiles them, and the first section would otherwise pay for it.

**Warm latency** (section 1): for each size, every method runs once per run, in an order that
turns each run, each on a fresh object, against the same warm clamd:
- *our handler*: the whole invocation on a direct event \`{bucket, key}\`: GetObject streamed
  into clamd's socket (zINSTREAM), GetObjectTagging beside the scan, PutObjectTagging.
- *our scan step*: GetObject streamed into zINSTREAM, to the verdict (what the handler does
  between receiving the event and tagging).
- *original*: the original project's method: HeadObject and GetObject into a temporary file,
  \`clamdscan --config-file=...\` (a generated clamd.conf naming the same clamd's socket) on the
  file, GetObjectTagging, PutObjectTagging, the file removed; all sequential. *original scan step*
  is its download plus clamdscan. The original is Python (boto3); here its method is written
  with the same SDK and runtime as ours (\`bench/lib/original.ts\`), so methods are compared, not
  languages; clamdscan is started from this Node.js process.
- *clamd zINSTREAM local*: \`ClamdClient.scanStream\` of a local file of the same size (the floor's
  engine part); *zSCAN local*: clamd opening the local file itself.
- *S3 GET*, *S3 PutTagging*: one request each, for the floor.
- 1c splits our handler's time with a middleware on its S3 client and a wrapper around its clamd
  client (bench-side instrumentation; src/ is unchanged).
- 1d, *per-invocation clamscan*: the original method with \`clamscan --database=DIR\` instead of
  clamdscan, as most comparable projects run it: it loads the whole set on every call.
- 1e: clamd started apart on the realistic set's \`.ldb\` file alone and its \`.ndb\` file alone,
  timed on unique 1 KiB files: where the per-file cost comes from.

**Throughput** (section 2): the whole handler on one large object, next to clamd's zINSTREAM of
the same bytes from a local file (the ceiling) and a plain GetObject of the object (what S3
alone delivers); MiB/s = size / duration; the order of handler and local file alternates per run.
Each zINSTREAM is split where the last byte was handed to clamd: clamd writes the stream to a
temporary file and scans it only once the stream has ended.

**Cold start** (section 3): a fresh scanner process (node, our handler, nothing loaded) is told
to scan a 1 KiB object: it reads the manifest, downloads and checks (SHA-256) the set from S3,
starts clamd and waits for its PONG, then scans. Its resident memory and that of its children
(clamd) is sampled from /proc every 25 ms. Next to it, in the same runs: the set downloaded by
plain GetObjects (4 at a time, as the scanner does) and clamd started directly on the set on
local disk (spawn to PONG): the floor is their sum.

**Concurrency** (section 4): \`c\` callers on one warm instance (one Node.js process, one clamd)
each take the next object until all are scanned; total scans/s and MiB/s.

**State machine** (section 5): the locally executed scan state machine (HeadObject, size check,
Lambda task through the local Invoke API into the same handler) next to the handler called
directly, alternating, on the light set so that the engine's variance does not hide the overhead.

**Cost per scan** (section 6): fresh objects of 100 KiB, 1 MiB and 10 MiB (random bytes, as
compressed uploads are) scanned on each workflow path as deployed, on the realistic set: the
Standard scan machine started by the upload's EventBridge event and by a client's
\`{bucket, key}\`, and the Express scan machine fed what the queue's pipe hands it. Counted per
scan: the states entered (StateEntered events of the execution), the scanner's invocations and
each one's duration rounded up to 1 ms as Lambda bills it, every AWS request the machine and the
scanner make (a middleware on their S3 and EventBridge clients, by operation: the scanner
publishes each result, as in the stack, to a local PutEvents endpoint), the tags the object got, the bytes
the scanner writes to its log (its lines as the Powertools logger formats them, its EMF metric
line, Lambda's START, END and REPORT lines) and the bytes the machine's log gets at the level the
stack sets (estimated from the execution's history in Step Functions' log record format). From the
design rather than a run: the queue's three requests (SendMessage by the rule, ReceiveMessage and
DeleteMessage by the pipe) and one pipe request per Express scan, the bucket's EventBridge events
(Object Created, and Object Tags Added for each tag write), one X-Ray trace per execution. These
counts are priced with \`bench/prices.ts\` (us-east-1 list prices, each with its page and the date
it was read) at the stack's default scanner memory, for x86_64 and arm64, next to GuardDuty Malware
Protection for S3's published price for the same objects. Fixed monthly costs (warmer, update
workflow, alarms, dashboard, metrics) and free tiers are left out.

**Bulk scans** (section 7): fresh 1 KiB objects (random bytes) in the local S3, scanned on the
light set by \`statemachine/bulk-scan.asl.json\` executed locally, its Distributed Map run by the
documented adapter (\`src/local/distributed-map.ts\`: the listing, the ItemBatcher's batches, the
unchanged ItemProcessor through the runner's inline Map, the ResultWriter's files), every batch
one invocation of our handler through the local Invoke API; next to it, twins of the same objects
each scanned by one execution of the scan state machine, as many in flight as the bulk scan has
objects in flight. Then the batch size swept on fresh objects, and on the realistic set one
invocation scanning a batch of the default size against the same number of single invocations,
timed as Lambda bills them. A million objects on AWS is priced on paper from these figures, the
states each path enters and its S3 requests, with \`bench/prices.ts\`.
\`npm run bench -- --section bulk --markdown BENCHMARKS.md\` measures this section alone and puts
it in place of the previous one, saying so.

**Machine load**: the CPU time of this benchmark's process tree and of every other process, from
/proc every 0.5 s, per section: the machine may be shared, and these figures say how much.
`;
}
