import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeZipBomb } from '../support/archive-bomb';
import { BIN, childProcesses, isRunning, type Run, runCli, spawnCli } from '../support/cli';
import { watchExit } from '../support/process-exit';
import { EICAR } from '../support/signatures';

// `lambda-av scan` on the trees and command lines that broke it (issue 25), as a user runs it.

let root: string;

interface Report {
  results: Array<{ path: string; pathBase64?: string; status: string; notScanned?: string; error?: string }>;
  summary: Record<string, unknown>;
}

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

/**
 * Runs `lambda-av ARGS...` with arguments that are bytes (a name that is not UTF-8 cannot be
 * passed through Node's own spawn): python3 executes the command with them.
 */
function runWithByteArgs(args: readonly Buffer[]): Promise<Run> {
  const script =
    'import os, sys; node = os.environ["NODE"]; os.execv(node, [node] + [a.encode("latin-1") for a in sys.argv[1:]])';
  return new Promise((resolve) => {
    execFile(
      'python3',
      ['-c', script, BIN, ...args.map((arg) => arg.toString('latin1'))],
      // Each argument reaches python as latin-1 text and leaves as the bytes it stands for.
      { env: { ...process.env, NODE: process.execPath, PYTHONUTF8: '1' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-hostile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('empty files are CLEAN and do not disturb the files after them, even one session at a time', async () => {
  const dir = path.join(root, 'package');
  mkdirSync(dir);
  writeFileSync(path.join(dir, '__init__.py'), '');
  writeFileSync(path.join(dir, 'main.py'), 'print(1)\n');
  writeFileSync(path.join(dir, 'eicar.com'), EICAR);
  writeFileSync(path.join(dir, 'empty.txt'), '');
  writeFileSync(path.join(dir, 'z.txt'), 'last\n');

  const run = await runCli(['scan', '--test-signatures', '--json', '--concurrency', '1', dir]);
  const report = JSON.parse(run.stdout) as Report;

  expect(run.code).toBe(1);
  expect(Object.fromEntries(report.results.map((r) => [path.basename(r.path), r.status]))).toEqual({
    '__init__.py': 'CLEAN',
    'main.py': 'CLEAN',
    'eicar.com': 'INFECTED',
    'empty.txt': 'CLEAN',
    'z.txt': 'CLEAN',
  });
  expect(report.summary).toMatchObject({ files: 5, clean: 4, infected: 1, errors: 0 });
});

test('a name that is not UTF-8 is scanned in a tree and as an argument, printed escaped, and exact in --json', async () => {
  const dir = path.join(root, 'names');
  mkdirSync(dir);
  const name = bytes(dir, '/bad', [0xff, 0xfe], 'utf8.com');
  writeFileSync(name, EICAR);
  const printed = `${dir}/bad\\xff\\xfeutf8.com`;

  const inTree = await runCli(['scan', '--test-signatures', dir]);
  const asArgument = await runWithByteArgs([Buffer.from('scan'), Buffer.from('--test-signatures'), name]);
  const json = await runWithByteArgs([
    Buffer.from('scan'),
    Buffer.from('--test-signatures'),
    Buffer.from('--json'),
    name,
  ]);
  const report = JSON.parse(json.stdout) as Report;

  expect(inTree.stdout).toContain(`${printed}: INFECTED Eicar-Test-Signature.UNOFFICIAL`);
  expect(inTree.code).toBe(1);
  expect(asArgument.stdout).toContain(`${printed}: INFECTED Eicar-Test-Signature.UNOFFICIAL`);
  expect(asArgument.code).toBe(1);
  expect(report.results).toEqual([
    expect.objectContaining({ path: printed, pathBase64: name.toString('base64'), status: 'INFECTED' }),
  ]);
});

test("a name holding a newline, a carriage return or an escape sequence cannot forge another file's line", async () => {
  const dir = path.join(root, 'forged');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'x.com: CLEAN [1 ms]\ny.com'), EICAR);
  writeFileSync(path.join(dir, 'r\rz\u001b[2K.txt'), 'fine');

  const run = await runCli(['scan', '--test-signatures', dir]);
  const lines = run.stdout.split('\n');

  expect(lines.filter((line) => line.includes('CLEAN [1 ms]'))).toEqual([
    expect.stringMatching(
      /x\.com: CLEAN \[1 ms\]\\ny\.com: INFECTED Eicar-Test-Signature\.UNOFFICIAL \[\d+ ms\]$/,
    ),
  ]);
  expect(lines).toContainEqual(expect.stringMatching(/\/r\\rz\\e\[2K\.txt: CLEAN \[\d+ ms\]$/));
  expect(run.stdout.includes('\r') || run.stdout.includes('\u001b')).toBe(false);
});

test('PATHs that cannot be scanned are error lines and the others are scanned, exit 2; an empty directory exits 0', async () => {
  const dir = path.join(root, 'args');
  mkdirSync(path.join(dir, 'empty'), { recursive: true });
  writeFileSync(path.join(dir, 'clean.txt'), 'fine');
  symlinkSync('loop-b', path.join(dir, 'loop-a'));
  symlinkSync('loop-a', path.join(dir, 'loop-b'));

  const run = await runCli([
    'scan',
    '--test-signatures',
    path.join(dir, 'clean.txt'),
    '/dev/zero',
    path.join(dir, 'loop-a'),
    path.join(dir, 'missing'),
  ]);
  const empty = await runCli(['scan', '--test-signatures', path.join(dir, 'empty')]);

  expect(run.code).toBe(2);
  expect(run.stdout).toContain(`${path.join(dir, 'clean.txt')}: CLEAN`);
  expect(run.stdout).toContain('/dev/zero: PROCESSING_ERROR (not a regular file: a character device) [0 ms]');
  expect(run.stdout).toContain(
    `${path.join(dir, 'loop-a')}: PROCESSING_ERROR (too many symbolic links encountered) [0 ms]`,
  );
  expect(run.stdout).toContain(
    `${path.join(dir, 'missing')}: PROCESSING_ERROR (no such file or directory) [0 ms]`,
  );
  expect(run.stdout).toMatch(/Files scanned: 1\n/);
  expect(run.stdout).toMatch(/Not scanned \(directories not read, PATHs missing or not files\): 3\n/);
  expect(empty.code).toBe(0);
  expect(empty.stdout).toMatch(/Files scanned: 0\n/);
});

test('output to a reader that goes away (| head): exit 141 after a clean stop, clamd gone, no work area left', async () => {
  const many = path.join(root, 'many');
  for (let d = 0; d < 20; d++) {
    mkdirSync(path.join(many, `d${d}`), { recursive: true });
    for (let f = 0; f < 200; f++) writeFileSync(path.join(many, `d${d}`, `f${f}.txt`), `file ${d} ${f}\n`);
  }
  const scratch = path.join(root, 'scratch-pipe');
  mkdirSync(scratch);
  // bash runs `lambda-av scan ... | head -2`; the command and its arguments are positional parameters.
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(
      'bash',
      [
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's, not a template
        '"$@" | head -2; echo "exit ${PIPESTATUS[0]}" >&2',
        'pipeline',
        process.execPath,
        BIN,
        'scan',
        '--test-signatures',
        many,
      ],
      { env: { ...process.env, TMPDIR: scratch, LAMBDA_AV_TMPDIR: scratch } },
      (_error, out, err) => resolve({ stdout: out, stderr: err }),
    );
  });

  expect(stdout.trim().split('\n')).toHaveLength(2);
  expect(stderr).toContain('exit 141');
  expect(stderr).toContain(
    'lambda-av: the output was closed (broken pipe): clamd stopped and temporary files removed',
  );
  expect(stderr).not.toMatch(/EPIPE|Error:/);
  expect(readdirSync(scratch)).toEqual([]);
});

test('kill -9 of the command during a bomb scan: clamd dies with it, and the next scan reclaims its work area', async () => {
  const dir = path.join(root, 'bomb');
  mkdirSync(dir);
  writeZipBomb(path.join(dir, 'l3.zip'));
  writeFileSync(path.join(dir, 'clean.txt'), 'fine');
  const scratch = path.join(root, 'scratch-kill');
  mkdirSync(scratch);
  const env = { TMPDIR: scratch, LAMBDA_AV_TMPDIR: scratch, MAX_FILE_SIZE: String(2 * 2 ** 20) };
  const scan = spawnCli(['scan', '--test-signatures', path.join(dir, 'l3.zip')], env);
  // clamd is scanning the bomb once it has extracted a member into its work area's tmp/.
  const clamd = await waitFor(() => {
    const [pid] = childProcesses(scan.child.pid as number, 'clamd');
    const area = readdirSync(scratch).find((name) => name.startsWith('lambda-av-scan-'));
    const tmp = area ? path.join(scratch, area, 'tmp') : undefined;
    const extracting = tmp !== undefined && existsSync(tmp) && readdirSync(tmp).length > 0;
    return pid !== undefined && extracting ? pid : undefined;
  });
  const clamdExit = await watchExit(clamd);

  scan.child.kill('SIGKILL');
  await clamdExit.exited;
  const abandoned = readdirSync(scratch).filter((name) => name.startsWith('lambda-av-scan-'));
  const next = await runCli(['scan', '--test-signatures', path.join(dir, 'clean.txt')], env);

  expect(abandoned).toHaveLength(1);
  expect(isRunning(clamd)).toBe(false);
  expect(next.code).toBe(0);
  expect(readdirSync(scratch).filter((name) => name.startsWith('lambda-av-scan-'))).toEqual([]);
});

/**
 * Resolves with the first value `probe` returns: for a state another process reaches (clamd at
 * work on the bomb), which no event announces to this one. Looked at every 20 ms until then.
 */
async function waitFor<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('the awaited state was not reached');
    await sleep(20);
  }
}
