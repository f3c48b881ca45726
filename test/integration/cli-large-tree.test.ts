import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli';

// The directory walk streams and results are written as they come: scanning 100,000 files must
// not hold anything per file. Measured on the real command: the live heap (after a full garbage
// collection, sampled every 250 ms) must not grow between the start of the scan and its end.
// Keeping a result per file (about 150 bytes each) or collecting the paths first would add 10 MB
// or more by the end.

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-large-tree-'));
  for (let d = 0; d < 100; d++) {
    const dir = path.join(root, 'tree', `dir-${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 1000; f++) writeFileSync(path.join(dir, `file-${f}.txt`), `file ${d}/${f}\n`);
  }
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a scan of 100,000 files runs in bounded memory', async () => {
  const samplesFile = path.join(root, 'heap.json');

  const run = await runCli(
    ['scan', '--test-signatures', '--json', path.join(root, 'tree')],
    { HEAP_SAMPLES_FILE: samplesFile },
    {
      nodeArgs: ['--expose-gc', '--require', path.join(__dirname, '..', 'support', 'heap-sampler.cjs')],
      timeoutMs: 280_000,
    },
  );
  const samples = JSON.parse(readFileSync(samplesFile, 'utf8')) as number[];

  expect(run.code).toBe(0);
  expect(run.stdout.slice(-400)).toMatch(/"files":100000,"clean":100000/);
  expect(samples.length).toBeGreaterThanOrEqual(8);
  // From the first samples (clamd up, scanning begun) to the last ones (100,000 files reported).
  const early = Math.max(...samples.slice(1, 4));
  const late = Math.max(...samples.slice(-3));
  expect(late - early).toBeLessThan(4);
}, 300_000);
