import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { childProcesses, isRunning, runCli, spawnCli } from '../support/cli';
import { CLAMAV_TESTFILES_DIR, EICAR } from '../support/signatures';

// `lambda-av scan PATH...` (direct, the default) against `--workflow`, on the real parts: both
// must give every file the same verdict, since both are the scanner Lambda's engine.

let root: string;
let tree: string;
const MAX_FILE_SIZE = 2 * 1024 * 1024;

interface Report {
  results: Array<{ path: string; status: string; signature?: string; error?: string }>;
  summary: Record<string, unknown>;
}

function verdicts(report: Report): Record<string, string> {
  return Object.fromEntries(
    report.results.map((r) => [
      path.relative(tree, r.path),
      `${r.status}${r.signature ? ` ${r.signature}` : ''}`,
    ]),
  );
}

function python(script: string, ...args: string[]): void {
  execFileSync('python3', ['-c', script, ...args]);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-local-scan-'));
  tree = path.join(root, 'tree');
  mkdirSync(path.join(tree, 'archives'), { recursive: true });
  mkdirSync(path.join(tree, 'testfiles'));
  writeFileSync(path.join(tree, 'clean.txt'), 'nothing to see here\n');
  writeFileSync(path.join(tree, 'eicar.com'), EICAR);
  // Over 1 MiB: streamed in chunks rather than read in one go; EICAR at its very end.
  writeFileSync(
    path.join(tree, 'large-tail.bin'),
    Buffer.concat([randomBytes(1536 * 1024), Buffer.from(EICAR)]),
  );
  writeFileSync(path.join(tree, 'over-the-limit.bin'), randomBytes(MAX_FILE_SIZE + 1));
  for (const name of ['clam.zip', 'clam.exe.bz2', 'clam.pdf', 'clam.7z']) {
    copyFileSync(path.join(CLAMAV_TESTFILES_DIR, name), path.join(tree, 'testfiles', name));
  }
  // A ZIP member written by a streaming writer: ClamAV 1.4 passes it unscanned, our policy
  // signature must flag it on this path too.
  python(
    `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    with z.open('payload.bin', 'w', force_zip64=True) as f:
        f.write(b'harmless text')`,
    path.join(tree, 'archives', 'streamed-zip64.zip'),
  );
  execFileSync('zip', ['-q', '-P', 'secret', path.join(tree, 'archives', 'encrypted.zip'), 'clean.txt'], {
    cwd: tree,
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a direct local scan gives every file the verdict the upload workflow gives it', async () => {
  const env = { MAX_FILE_SIZE: String(MAX_FILE_SIZE) };

  const direct = await runCli(['scan', '--test-signatures', '--json', tree], env);
  const workflow = await runCli(['scan', '--workflow', '--test-signatures', '--json', tree], env);
  const directReport = JSON.parse(direct.stdout) as Report;
  const workflowReport = JSON.parse(workflow.stdout) as Report;

  expect(verdicts(directReport)).toEqual({
    'clean.txt': 'CLEAN',
    'eicar.com': 'INFECTED Eicar-Test-Signature.UNOFFICIAL',
    'large-tail.bin': 'INFECTED Eicar-Test-Signature.UNOFFICIAL',
    'over-the-limit.bin': 'SKIPPED',
    'testfiles/clam.zip': 'INFECTED ClamAV-Test-File.UNOFFICIAL',
    'testfiles/clam.exe.bz2': 'INFECTED ClamAV-Test-File.UNOFFICIAL',
    'testfiles/clam.pdf': 'INFECTED ClamAV-Test-File.UNOFFICIAL',
    'testfiles/clam.7z': 'INFECTED ClamAV-Test-File.UNOFFICIAL',
    'archives/streamed-zip64.zip': 'UNSCANNABLE LambdaAV.Unscannable.Zip64LocalHeader.UNOFFICIAL',
    'archives/encrypted.zip': 'UNSCANNABLE Heuristics.Encrypted.Zip',
  });
  expect(verdicts(workflowReport)).toEqual(verdicts(directReport));
  expect(direct.code).toBe(1);
  expect(workflow.code).toBe(1);
  expect(directReport.summary).toMatchObject({
    files: 10,
    clean: 1,
    infected: 6,
    unscannable: 2,
    skipped: 1,
    errors: 0,
  });
});

test('under UNSCANNABLE_POLICY=block-as-infected an unscannable file is INFECTED, and says why', async () => {
  const run = await runCli(
    ['scan', '--test-signatures', '--json', path.join(tree, 'archives', 'encrypted.zip')],
    {
      UNSCANNABLE_POLICY: 'block-as-infected',
    },
  );

  expect(run.code).toBe(1);
  expect((JSON.parse(run.stdout) as Report).results).toEqual([
    expect.objectContaining({
      status: 'INFECTED',
      signature: 'Heuristics.Encrypted.Zip',
      unscannable: true,
      reason: 'encrypted',
    }),
  ]);
});

test('links inside a tree are not followed and FIFOs are not opened; a link given as PATH is', async () => {
  const dir = path.join(root, 'links');
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  writeFileSync(path.join(root, 'outside-eicar.com'), EICAR);
  writeFileSync(path.join(dir, 'sub', 'inside.txt'), 'fine');
  symlinkSync(path.join(root, 'outside-eicar.com'), path.join(dir, 'link-to-outside.com'));
  symlinkSync(dir, path.join(dir, 'sub', 'loop'));
  execFileSync('mkfifo', [path.join(dir, 'a-fifo')]);

  const inTree = await runCli(['scan', '--test-signatures', '--json', dir]);
  const given = await runCli(['scan', '--test-signatures', path.join(dir, 'link-to-outside.com')]);

  expect(inTree.code).toBe(0);
  expect((JSON.parse(inTree.stdout) as Report).results.map((r) => path.relative(dir, r.path))).toEqual([
    'sub/inside.txt',
  ]);
  expect(given.code).toBe(1);
  expect(given.stdout).toContain('link-to-outside.com: INFECTED Eicar-Test-Signature.UNOFFICIAL');
});

test('a file whose content is not what its size says (procfs) is an error, never CLEAN', async () => {
  const run = await runCli(['scan', '--test-signatures', '/proc/self/status']);

  expect(run.code).toBe(2);
  expect(run.stdout).toMatch(
    /\/proc\/self\/status: PROCESSING_ERROR \(ObjectReadError: .*changed while it was read/,
  );
});

test('Ctrl-C stops the scan cleanly: clamd gone, no temporary files, a valid report, exit 130', async () => {
  const many = path.join(root, 'many');
  for (let d = 0; d < 40; d++) {
    mkdirSync(path.join(many, `d${d}`), { recursive: true });
    for (let f = 0; f < 200; f++) writeFileSync(path.join(many, `d${d}`, `f${f}.txt`), randomBytes(2048));
  }
  const scratch = path.join(root, 'scratch');
  mkdirSync(scratch);
  // Every temporary file of the command goes here: clamd's work area and the test signatures.
  const env = { TMPDIR: scratch, LAMBDA_AV_TMPDIR: scratch };
  const scan = spawnCli(['scan', '--test-signatures', '--json', '--concurrency', '2', many], env);
  await scan.waitForOutput(/"status":"CLEAN"/);
  const clamd = childProcesses(scan.child.pid as number, 'clamd');
  expect(clamd).toHaveLength(1);

  scan.child.kill('SIGINT');
  const code = await scan.exited;

  const report = JSON.parse(scan.stdout()) as Report;
  expect(code).toBe(130);
  expect(report.summary).toMatchObject({ interrupted: true });
  expect(report.results.length).toBeLessThan(8000);
  expect(scan.stderr()).toContain('interrupted: clamd stopped and temporary files removed');
  expect(isRunning(clamd[0] as number)).toBe(false);
  expect(readdirSync(scratch)).toEqual([]);
});
