import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchResults } from '../../../bench/lib/results';

const REPO = path.join(__dirname, '..', '..', '..');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bench-quick-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * What is wrong with the figures checked so far, each named by its path in the JSON: the test
 * ends with `expect(problems).toEqual([])`, so a failure says which figures are missing or off.
 */
const problems: string[] = [];

function figure(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    problems.push(`${name} is ${JSON.stringify(value)}`);
}

function figures(name: string, values: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(values)) figure(`${name}.${field}`, value);
}

/** A median with its spread: every figure present, the interval holding the median, the quartiles within the range. */
function stats(name: string, value: unknown): void {
  const s = (value ?? {}) as Record<string, number>;
  for (const field of ['n', 'median', 'p99', 'min', 'max', 'mean', 'q1', 'q3', 'ciLow', 'ciHigh'])
    figure(`${name}.${field}`, s[field]);
  const order: Array<[string, boolean]> = [
    ['ciLow <= median', (s.ciLow ?? Number.NaN) <= (s.median ?? Number.NaN)],
    ['median <= ciHigh', (s.median ?? Number.NaN) <= (s.ciHigh ?? Number.NaN)],
    ['min <= q1', (s.min ?? Number.NaN) <= (s.q1 ?? Number.NaN)],
    ['q3 <= max', (s.q3 ?? Number.NaN) <= (s.max ?? Number.NaN)],
  ];
  for (const [rule, holds] of order) if (!holds) problems.push(`${name}: not ${rule} (${JSON.stringify(s)})`);
}

test('the quick benchmark writes every section as numeric figures in its JSON', async () => {
  const json = path.join(dir, 'bench.json');

  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--json', json],
    {
      cwd: REPO,
      maxBuffer: 16 * 2 ** 20,
      timeout: 480_000,
    },
  );

  const results = JSON.parse(await readFile(json, 'utf8')) as BenchResults;
  expect(results.mode).toBe('quick');
  figure('machine.cores', results.machine.cores);
  expect(results.machine.clamav).toMatch(/ClamAV/);

  expect(results.latency.map((row) => `${row.engine} ${row.size}`)).toEqual([
    'realistic 1 KiB',
    'realistic 1 MiB',
    'realistic 10 MiB',
    'light 1 KiB',
    'light 1 MiB',
    'light 10 MiB',
  ]);
  for (const row of results.latency) {
    const cell = `latency[${row.engine} ${row.size}]`;
    for (const [name, value] of Object.entries({
      handler: row.handler,
      scanStep: row.scanStep,
      original: row.original,
      originalStep: row.originalStep,
      clamdInstream: row.clamdInstream,
      clamdZscan: row.clamdZscan,
      s3Get: row.s3Get,
      s3PutTagging: row.s3PutTagging,
      s3GetTagging: row.s3GetTagging,
      putEvents: row.putEvents,
      'paired.handlerOverFloor': row.paired?.handlerOverFloor,
      'paired.originalOverHandler': row.paired?.originalOverHandler,
    }))
      stats(`${cell}.${name}`, value);
    for (const [phase, value] of Object.entries(row.originalPhases))
      stats(`${cell}.originalPhases.${phase}`, value);
    figures(`${cell}.clamdCpuMs`, { handler: row.clamdCpuMs?.handler, instream: row.clamdCpuMs?.instream });
    figures(cell, {
      floorMs: row.floorMs,
      originalOverHandler: row.originalOverHandler,
      originalStepOverScanStep: row.originalStepOverScanStep,
      handlerOverFloor: row.handlerOverFloor,
    });
    figures(`${cell}.handlerTimeline`, row.handlerTimeline);
  }

  expect(results.clamscan.map((row) => row.engine)).toEqual(['realistic', 'light']);
  for (const row of results.clamscan) {
    stats(`clamscan[${row.engine}].method`, row.method);
    stats(`clamscan[${row.engine}].clamscan`, row.clamscan);
    figure(`clamscan[${row.engine}].overHandler`, row.overHandler);
  }

  expect(results.engineSplit.map((row) => row.files)).toEqual(['.ldb', '.ndb']);
  for (const row of results.engineSplit) {
    figure(`engineSplit[${row.files}].loadMs`, row.loadMs);
    stats(`engineSplit[${row.files}].perFile`, row.perFile);
  }

  expect(results.throughput.length).toBeGreaterThan(0);
  expect(new Set(results.throughput.map((row) => row.content))).toEqual(new Set(['random', 'compressible']));
  results.throughput.forEach((row, i) => {
    const name = `throughput[${i}]`;
    for (const [rate, value] of Object.entries({
      handlerMiBps: row.handlerMiBps,
      clamdMiBps: row.clamdMiBps,
      s3GetMiBps: row.s3GetMiBps,
    }))
      figures(`${name}.${rate}`, { median: value.median, p99: value.p99 });
    figures(name, {
      handlerOverClamd: row.handlerOverClamd,
      handlerOverClamdSameScan: row.handlerOverClamdSameScan,
    });
    figures(`${name}.split`, row.split);
  });

  const cold = results.coldStart;
  for (const [name, value] of Object.entries({
    toFirstVerdict: cold.toFirstVerdict,
    daemonStart: cold.daemonStart,
    firstScan: cold.firstScan,
    download: cold.download,
    bareLoad: cold.bareLoad,
  }))
    stats(`coldStart.${name}`, value);
  figures('coldStart', {
    floorMs: cold.floorMs,
    overFloor: cold.overFloor,
    'scannerPeak.treeMiB': cold.scannerPeak.treeMiB,
    bareClamdPeakMiB: cold.bareClamdPeakMiB,
  });

  expect(results.concurrency.map((row) => `${row.engine} ${row.concurrency}`)).toEqual([
    'realistic 1',
    'realistic 2',
    'realistic 4',
    'realistic 8',
    'light 1',
    'light 2',
    'light 4',
    'light 8',
  ]);
  for (const row of results.concurrency) {
    const name = `concurrency[${row.engine} ${row.concurrency}]`;
    figures(name, { scansPerSecond: row.scansPerSecond, MiBps: row.MiBps });
    stats(`${name}.latency`, row.latency);
  }

  stats('stateMachine.direct', results.stateMachine.direct);
  stats('stateMachine.stateMachine', results.stateMachine.stateMachine);
  figure('stateMachine.overheadMs', results.stateMachine.overheadMs);

  // Cost per scan, counted on the real workflow paths: the states each path enters, one scanner
  // invocation, the object read, its tags read and written once, the two scan tags added.
  const cost = results.cost;
  expect(cost?.usage.map((u) => `${u.path} ${u.size}`)).toEqual([
    'standard-event 100 KiB',
    'standard-request 100 KiB',
    'express-event 100 KiB',
    'standard-event 1 MiB',
    'standard-request 1 MiB',
    'express-event 1 MiB',
    'standard-event 10 MiB',
    'standard-request 10 MiB',
    'express-event 10 MiB',
  ]);
  for (const u of cost?.usage ?? []) {
    expect(u.transitions).toBe({ 'standard-event': 2, 'standard-request': 4, 'express-event': 4 }[u.path]);
    expect(u.lambdaInvocations).toBe(1);
    expect(u.lambdaBilledMs).toBeGreaterThan(0);
    expect(u.requests).toMatchObject({
      'S3.GetObject': 1,
      'S3.GetObjectTagging': 1,
      'S3.PutObjectTagging': 1,
    });
    expect(u.tagsAdded).toBe(2);
    expect(u.logBytes.lambda).toBeGreaterThan(500);
    // The Standard machine logs failures only; the Express machine every event.
    if (u.path === 'express-event') expect(u.logBytes.stepFunctions).toBeGreaterThan(2000);
    else expect(u.logBytes.stepFunctions).toBe(0);
  }
  expect(results.targets.map((t) => t.id)).toEqual(
    expect.arrayContaining(['cost-standard-event', 'cost-express-event']),
  );

  // Memory: the scanner's resident memory at rest, during a scan and each reload, and a scan's
  // latency and cost at every memory size, each figure saying how it was obtained.
  const memory = results.memory;
  expect(memory?.atRest.childrenMiB).toBeGreaterThan(0);
  expect(memory?.scan.peak.treeMiB).toBeGreaterThan(0);
  expect(memory?.reloads.map((reload) => reload.strategy)).toEqual(['restart', 'concurrent']);
  expect(memory?.sizes.map((row) => `${row.size} ${row.memoryMiB}`)).toEqual([
    '1 KiB 2048',
    '1 KiB 3008',
    '1 KiB 4096',
    '1 MiB 2048',
    '1 MiB 3008',
    '1 MiB 4096',
  ]);
  for (const row of memory?.sizes ?? []) {
    stats(`memory.sizes[${row.size} ${row.memoryMiB}].latency`, row.latency);
    expect(row.billedMs).toBe(Math.ceil(row.latency.median));
    expect(row.usdPerMillion).toBeGreaterThan(0);
    expect(['cpu quota', 'computed from CPU time', 'no quota']).toContain(row.how);
  }
  // Per-cell targets from issue 30: within 10 % of the floor and faster than the original.
  for (const row of results.latency) {
    const cell = `${row.engine}-${row.size.replace(' ', '')}`;
    expect(results.targets.map((t) => t.id)).toEqual(
      expect.arrayContaining([`floor-${cell}`, `original-${cell}`]),
    );
  }
  for (const target of results.targets.filter((t) => !t.met)) expect(target.limitedBy).toBeTruthy();

  expect(results.load.length).toBeGreaterThan(0);
  results.load.forEach((row, i) => {
    figure(`load[${i}].otherCores`, row.otherCores);
  });

  expect(results.targets.length).toBeGreaterThanOrEqual(6);
  for (const target of results.targets) {
    expect(typeof target.met).toBe('boolean');
    figure(`targets[${target.id}].value`, target.value);
  }
  expect(problems).toEqual([]);
}, 490_000);
