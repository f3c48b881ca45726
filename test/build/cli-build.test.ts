import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli';

// The command ships compiled (scripts/build-cli.js into dist/): it must start without compiling
// TypeScript, load only what the command needs, and on a clone where src/ changed (or dist/ was
// never built) compile it again or say how to.

const REPO = path.join(__dirname, '..', '..');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-cli-build-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function modulesLoaded(args: readonly string[]): Promise<string[]> {
  const file = path.join(root, `modules-${args[0]}.json`);
  const run = await runCli(
    args,
    { LOADED_MODULES_FILE: file },
    {
      nodeArgs: ['--require', path.join(__dirname, '..', 'support', 'module-recorder.cjs')],
    },
  );
  expect(run.stderr).not.toContain('compiling');
  return JSON.parse(readFileSync(file, 'utf8')) as string[];
}

test('--help runs compiled JavaScript and loads neither TypeScript tooling nor the AWS SDK', async () => {
  const loaded = await modulesLoaded(['--help']);

  expect(loaded.some((file) => file.endsWith(path.join('dist', 'cli', 'main.js')))).toBe(true);
  expect(loaded.filter((file) => file.endsWith('.ts'))).toEqual([]);
  expect(
    loaded.filter((file) =>
      /node_modules\/(tsx|typescript|esbuild|@aws-sdk|busboy|fast-xml-parser)\//.test(file),
    ),
  ).toEqual([]);
});

test('a local scan loads no AWS SDK, no S3 server and no state machine runner', async () => {
  const dir = path.join(root, 'files');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'a.txt'), 'fine');

  const loaded = await modulesLoaded(['scan', '--test-signatures', dir]);

  expect(loaded.some((file) => file.endsWith(path.join('dist', 'local-scan', 'file-scanner.js')))).toBe(true);
  expect(
    loaded.filter((file) =>
      /(node_modules\/(@aws-sdk|busboy|fast-xml-parser|aws-local-stepfunctions)|dist\/local)\//.test(file),
    ),
  ).toEqual([]);
});

describe('on a fresh clone', () => {
  let clone: string;

  function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join(clone, 'bin', 'lambda-av.js'), ...args],
        (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  beforeAll(() => {
    clone = path.join(root, 'clone');
    for (const part of ['bin', 'src', 'statemachine', path.join('scripts', 'build-cli.js'), 'package.json']) {
      cpSync(path.join(REPO, part), path.join(clone, part), { recursive: true });
    }
    symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'));
  });

  test('the first command compiles dist/; the next ones start without compiling', async () => {
    const first = await run(['--help']);
    const second = await run(['--help']);

    expect(first.code).toBe(0);
    expect(first.stderr).toContain('compiling it again');
    expect(first.stdout).toContain('Usage:');
    expect(readdirSync(path.join(clone, 'dist', 'cli'))).toContain('main.js');
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe(first.stdout);
  });

  test('a change in src/ is compiled before the command runs', async () => {
    const usage = path.join(clone, 'src', 'cli', 'usage.ts');
    writeFileSync(
      usage,
      readFileSync(usage, 'utf8').replace('lambda-av: scan files', 'lambda-av (edited): scan files'),
    );

    const edited = await run(['--help']);

    expect(edited.stderr).toContain('compiling it again');
    expect(edited.stdout).toContain('lambda-av (edited): scan files');
  });

  test('without the compiler, a stale build is refused with how to build it', async () => {
    // The same dependencies, esbuild excepted.
    const modules = path.join(root, 'modules-without-esbuild');
    mkdirSync(modules);
    for (const name of readdirSync(path.join(REPO, 'node_modules'))) {
      if (name !== 'esbuild' && name !== '.bin')
        symlinkSync(path.join(REPO, 'node_modules', name), path.join(modules, name));
    }
    await rm(path.join(clone, 'node_modules'));
    symlinkSync(modules, path.join(clone, 'node_modules'));
    writeFileSync(
      path.join(clone, 'src', 'cli', 'usage.ts'),
      `${readFileSync(path.join(clone, 'src', 'cli', 'usage.ts'), 'utf8')}\n`,
    );

    const stale = await run(['--help']);

    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('missing or older than src/');
    expect(stale.stderr).toContain('bash scripts/setup.sh');
    expect(stale.stdout).toBe('');
  });
});
