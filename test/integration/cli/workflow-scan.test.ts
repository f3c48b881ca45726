import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../support/cli';
import { EICAR } from '../../support/signatures';

// `lambda-av scan --workflow` runs the local stack: file names become S3 keys, never file paths,
// so a name as long as the file system allows (255 bytes) scans like any other.

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-workflow-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('files whose names are 251 and 255 bytes long get their verdicts, and nothing is left behind', async () => {
  const tree = path.join(root, 'tree');
  const scratch = path.join(root, 'tmp');
  mkdirSync(tree);
  mkdirSync(scratch);
  const infected = `${'e'.repeat(247)}.com`;
  const clean = `${'c'.repeat(251)}.txt`;
  writeFileSync(path.join(tree, infected), EICAR);
  writeFileSync(path.join(tree, clean), 'nothing to see');

  const run = await runCli(['scan', '--workflow', '--test-signatures', '--json', tree], { TMPDIR: scratch });
  const report = JSON.parse(run.stdout) as { results: Array<{ path: string; status: string }> };

  expect([Buffer.byteLength(infected), Buffer.byteLength(clean)]).toEqual([251, 255]);
  expect(run.code).toBe(1);
  expect(Object.fromEntries(report.results.map((file) => [path.basename(file.path), file.status]))).toEqual({
    [infected]: 'INFECTED',
    [clean]: 'CLEAN',
  });
  expect(readdirSync(scratch)).toEqual([]);
}, 180_000);
