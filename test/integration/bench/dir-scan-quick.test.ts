import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// The directory-scan benchmark keeps working (figures only: nothing here judges speed).

const REPO = path.join(__dirname, '..', '..', '..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bench-dir-scan-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the quick directory-scan benchmark measures all three commands and --help, and updates its section only', async () => {
  const json = path.join(dir, 'dir-scan.json');
  const markdown = path.join(dir, 'BENCHMARKS.md');
  await writeFile(
    markdown,
    '# Benchmarks\n\nbefore\n\n<!-- dir-scan:start -->\nold\n<!-- dir-scan:end -->\n\nafter\n',
  );

  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'bench/dir-scan.ts', '--quick', '--json', json, '--markdown', markdown],
    { cwd: REPO, maxBuffer: 16 * 2 ** 20, timeout: 120_000 },
  );
  const results = JSON.parse(await readFile(json, 'utf8'));
  const text = await readFile(markdown, 'utf8');

  expect(results.measured.map((m: { method: string; files: number }) => [m.method, m.files])).toEqual([
    ['lambda-av scan', 300],
    ['clamscan -r', 300],
    ['lambda-av scan --workflow', 100],
  ]);
  for (const m of results.measured) {
    expect(m.filesPerSecond).toBeGreaterThan(0);
    expect(m.ms.median).toBeGreaterThan(0);
  }
  expect(results.helpMs.median).toBeGreaterThan(0);
  expect(text).toMatch(
    /^# Benchmarks\n\nbefore\n\n<!-- dir-scan:start -->\n## Directory scans on a workstation\n/,
  );
  expect(text).toMatch(/\| lambda-av scan \| 300 \| [\d.]+ \|/);
  expect(text).not.toContain('old');
  expect(text).toMatch(/<!-- dir-scan:end -->\n\nafter\n$/);
});
