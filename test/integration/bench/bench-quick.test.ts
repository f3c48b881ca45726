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

const isFigure = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

function expectStats(stats: unknown): void {
  const s = stats as Record<string, unknown>;
  for (const field of ['n', 'median', 'p99', 'min', 'max', 'mean', 'q1', 'q3', 'ciLow', 'ciHigh'])
    expect(isFigure(s[field])).toBe(true);
  // The median's interval holds the median, the quartiles lie within the range.
  expect(s.ciLow as number).toBeLessThanOrEqual(s.median as number);
  expect(s.ciHigh as number).toBeGreaterThanOrEqual(s.median as number);
  expect(s.min as number).toBeLessThanOrEqual(s.q1 as number);
  expect(s.q3 as number).toBeLessThanOrEqual(s.max as number);
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
  expect(isFigure(results.machine.cores)).toBe(true);
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
    for (const stats of [
      row.handler,
      row.scanStep,
      row.original,
      row.originalStep,
      row.clamdInstream,
      row.clamdZscan,
      row.s3Get,
      row.s3PutTagging,
      row.s3GetTagging,
      row.putEvents,
      row.paired?.handlerOverFloor,
      row.paired?.originalOverHandler,
      ...Object.values(row.originalPhases),
    ])
      expectStats(stats);
    expect(isFigure(row.clamdCpuMs?.handler)).toBe(true);
    expect(isFigure(row.clamdCpuMs?.instream)).toBe(true);
    for (const figure of [
      row.floorMs,
      row.originalOverHandler,
      row.originalStepOverScanStep,
      row.handlerOverFloor,
      ...Object.values(row.handlerTimeline),
    ])
      expect(isFigure(figure)).toBe(true);
  }

  expect(results.clamscan.map((row) => row.engine)).toEqual(['realistic', 'light']);
  for (const row of results.clamscan) {
    expectStats(row.method);
    expectStats(row.clamscan);
    expect(isFigure(row.overHandler)).toBe(true);
  }

  expect(results.engineSplit.map((row) => row.files)).toEqual(['.ldb', '.ndb']);
  for (const row of results.engineSplit) {
    expect(isFigure(row.loadMs)).toBe(true);
    expectStats(row.perFile);
  }

  expect(results.throughput.length).toBeGreaterThan(0);
  expect(new Set(results.throughput.map((row) => row.content))).toEqual(new Set(['random', 'compressible']));
  for (const row of results.throughput) {
    for (const rate of [row.handlerMiBps, row.clamdMiBps, row.s3GetMiBps]) {
      expect(isFigure(rate.median)).toBe(true);
      expect(isFigure(rate.p99)).toBe(true);
    }
    expect(isFigure(row.handlerOverClamd)).toBe(true);
    expect(isFigure(row.handlerOverClamdSameScan)).toBe(true);
    for (const figure of Object.values(row.split)) expect(isFigure(figure)).toBe(true);
  }

  const cold = results.coldStart;
  for (const stats of [cold.toFirstVerdict, cold.daemonStart, cold.firstScan, cold.download, cold.bareLoad])
    expectStats(stats);
  for (const figure of [cold.floorMs, cold.overFloor, cold.scannerPeak.treeMiB, cold.bareClamdPeakMiB])
    expect(isFigure(figure)).toBe(true);

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
    expect(isFigure(row.scansPerSecond)).toBe(true);
    expect(isFigure(row.MiBps)).toBe(true);
    expectStats(row.latency);
  }

  expectStats(results.stateMachine.direct);
  expectStats(results.stateMachine.stateMachine);
  expect(isFigure(results.stateMachine.overheadMs)).toBe(true);

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
  expect(memory?.reloads.map((reload) => reload.strategy)).toEqual(['concurrent', 'restart']);
  expect(memory?.sizes.map((row) => `${row.size} ${row.memoryMiB}`)).toEqual([
    '1 KiB 2048',
    '1 KiB 3008',
    '1 KiB 4096',
    '1 MiB 2048',
    '1 MiB 3008',
    '1 MiB 4096',
  ]);
  for (const row of memory?.sizes ?? []) {
    expectStats(row.latency);
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
  for (const row of results.load) expect(isFigure(row.otherCores)).toBe(true);

  expect(results.targets.length).toBeGreaterThanOrEqual(6);
  for (const target of results.targets) {
    expect(typeof target.met).toBe('boolean');
    expect(isFigure(target.value)).toBe(true);
  }
}, 490_000);
