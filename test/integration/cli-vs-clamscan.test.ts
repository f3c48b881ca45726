import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { renderClamdConf } from '../../src/clamd/clamd-conf';
import { daemonOptionsFor } from '../../src/clamd/daemon-settings';
import { loadConfig } from '../../src/config';
import { POLICY_DATABASE, POLICY_DATABASE_NAME } from '../../src/definitions/policy';
import { writeZipBomb } from '../support/archive-bomb';
import { BIN, runCli } from '../support/cli';
import { CLAMAV_TESTFILES_DIR, EICAR, writeTestDatabase } from '../support/signatures';

// `lambda-av scan` against `clamscan -r`, the tool users compare it with, on one tree holding
// everything that broke it (issue 25): both get the same signatures and the same engine limits
// (clamscan's options are read off the clamd.conf lambda-av writes), and must agree file by file
// on detected, clean and could-not-scan, except where lambda-av differs on purpose (DIFFERENCES,
// also in docs/cli.md). As root neither may read what its user could not (see asUser).

type Category = 'detected' | 'clean' | 'could-not-scan' | 'passed over';

/** Where lambda-av differs from clamscan on purpose: each must be observed, and nothing else may differ. */
const DIFFERENCES: Record<string, { lambdaAv: Category; clamscan: Category; why: string }> = {
  'over-the-limit.bin': {
    lambdaAv: 'could-not-scan',
    clamscan: 'clean',
    why: 'over MAX_FILE_SIZE: SKIPPED without being read, as the Lambda skips objects over the size limit; clamscan scans it',
  },
  'loop-as-path': {
    lambdaAv: 'could-not-scan',
    clamscan: 'passed over',
    why: 'a loop of symbolic links given as PATH is an error line (exit 2); clamscan says nothing and exits 0',
  },
};

const MAX_FILE_SIZE = 2 * 2 ** 20;
/** clamd's MaxScanTime is half of it: the bomb is given up after 5 s. */
const SCAN_TIMEOUT_MS = 10_000;

let root: string;
let tree: string;
/** How each command is started: as root, without reading what its user could not. */
let asUser: { readonly lambdaAv: string[]; readonly clamscan: string[] };
/** The paths of the tree, relative to it: the bytes of each name as latin-1 text. */
const entries = new Set<string>();

const latin = (bytes: Buffer) => bytes.toString('latin1');

function add(name: Buffer | string, write: (target: Buffer) => void): void {
  const relative = Buffer.from(name);
  const target = Buffer.concat([Buffer.from(`${tree}/`), relative]);
  // The directories of the tree have ASCII names; only file names are bytes.
  mkdirSync(path.dirname(path.join(tree, latin(relative))), { recursive: true });
  write(target);
  entries.add(latin(relative));
}

/** clamscan's options for the limits lambda-av gives clamd (src/clamd/clamd-conf.ts). */
function clamscanLimits(): string[] {
  const config = loadConfig({
    CLAMAV_BUCKET_NAME: 'unused',
    MAX_FILE_SIZE: String(MAX_FILE_SIZE),
    CLAMD_SCAN_TIMEOUT_MS: String(SCAN_TIMEOUT_MS),
  });
  const options = daemonOptionsFor(config, '/w', '/w/db');
  const conf = Object.fromEntries(
    renderClamdConf({ ...options, socketPath: '/w/s', tempDir: '/w/t' })
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  return [
    `--max-filesize=${conf.MaxFileSize}`,
    `--max-scansize=${conf.MaxScanSize}`,
    `--max-scantime=${conf.MaxScanTime}`,
    `--alert-exceeds-max=${conf.AlertExceedsMax}`,
    `--alert-encrypted=${conf.AlertEncrypted}`,
    `--heuristic-scan-precedence=${conf.HeuristicScanPrecedence}`,
  ];
}

interface Output {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

function run(file: string, args: readonly string[], env: Record<string, string>): Promise<Output> {
  return new Promise((resolve) => {
    const prefix = file === 'clamscan' ? asUser.clamscan : asUser.lambdaAv;
    execFile(
      prefix[0] ?? file,
      [...prefix.slice(1), ...(prefix.length > 0 ? [file] : []), ...args],
      { env: { ...process.env, ...env }, encoding: 'buffer', maxBuffer: 64 * 2 ** 20, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr }),
    );
  });
}

/** lambda-av's verdicts by path (latin-1 of the bytes): the exact bytes of each name come back in --json. */
function lambdaAvCategories(output: Output, base: string): Map<string, Category> {
  const report = JSON.parse(output.stdout.toString('utf8')) as {
    results: Array<{ path: string; pathBase64?: string; status: string }>;
  };
  const categories = new Map<string, Category>();
  for (const result of report.results) {
    const bytes = result.pathBase64 ? Buffer.from(result.pathBase64, 'base64') : Buffer.from(result.path);
    const status = result.status;
    categories.set(
      relativeTo(base, latin(bytes)),
      status === 'INFECTED' ? 'detected' : status === 'CLEAN' ? 'clean' : 'could-not-scan',
    );
  }
  return categories;
}

/**
 * clamscan's verdict for each path it was expected to say something about, read from its output
 * (standard output and error) by the path's own bytes: names may hold newlines.
 */
function clamscanCategory(output: Output, file: string): Category {
  const text = latin(Buffer.concat([output.stdout, Buffer.from('\n'), output.stderr]));
  const said: string[] = [];
  for (let at = text.indexOf(`${file}: `); at >= 0; at = text.indexOf(`${file}: `, at + 1)) {
    const before = text.slice(Math.max(0, at - 9), at);
    if (at > 0 && !before.endsWith('\n') && before !== 'WARNING: ') continue;
    const end = text.indexOf('\n', at + file.length);
    said.push(text.slice(at + file.length + 2, end < 0 ? undefined : end));
  }
  const categories = said.map((answer): Category => {
    if (answer === 'OK' || answer === 'Empty file') return 'clean';
    if (answer === 'Symbolic link') return 'passed over';
    if (/^(Heuristics\.(Encrypted|Limits\.Exceeded)\.\S+|LambdaAV\.Unscannable\.\S+) FOUND$/.test(answer))
      return 'could-not-scan';
    if (answer.endsWith(' FOUND')) return 'detected';
    return 'could-not-scan'; // Access denied, Can't open directory, No such file, Not supported file type
  });
  if (categories.includes('detected')) return 'detected';
  if (categories.includes('could-not-scan')) return 'could-not-scan';
  return categories[0] ?? 'passed over';
}

function relativeTo(base: string, file: string): string {
  return file.startsWith(`${base}/`) ? file.slice(base.length + 1) : file;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-vs-clamscan-'));
  chmodSync(root, 0o755);
  // As root, neither may read what its user could not. clamscan runs as nobody: run as root it
  // passes over a file it cannot open without a word, as no other user's clamscan does. lambda-av
  // runs as root without the capabilities that let root read any file (setpriv drops them from
  // the bounding set, for the command and the clamd it starts): nobody could not reach a checkout
  // in a private directory, as CI's clone is.
  const asRoot = process.getuid?.() === 0;
  asUser = {
    lambdaAv: asRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [],
    clamscan: asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [],
  };
  tree = path.join(root, 'tree');
  mkdirSync(tree);
  const text = (content: string | Buffer) => (target: Buffer) => writeFileSync(target, content);

  add('clean.txt', text('nothing to see here\n'));
  add('package/__init__.py', text(''));
  add('package/main.py', text('print(1)\n'));
  add('eicar.com', text(EICAR));
  add(
    Buffer.concat([Buffer.from('names/bad'), Buffer.from([0xff, 0xfe]), Buffer.from('utf8.com')]),
    text(EICAR),
  );
  add('names/new\nline.com', text(EICAR));
  add('names/-leading-dash.com', text(EICAR));
  add('names/esc\u001b[2Kape.txt', text('fine'));
  add('over-the-limit.bin', text(Buffer.alloc(MAX_FILE_SIZE + 1, 0x41)));
  add('unreadable.com', (target) => {
    writeFileSync(target, EICAR);
    chmodSync(target, 0o000);
  });
  add('locked', (target) => {
    mkdirSync(target);
    writeFileSync(path.join(latin(target), 'inside.com'), EICAR);
    chmodSync(target, 0o000);
  });
  add('special/fifo', (target) => execFileSync('mkfifo', [latin(target)]));
  add('special/socket', (target) =>
    execFileSync('python3', [
      '-c',
      'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      latin(target),
    ]),
  );
  add('special/zero', (target) => symlinkSync('/dev/zero', target));
  add('links/loop-a', (target) => symlinkSync('loop-b', target));
  add('links/loop-b', (target) => symlinkSync('loop-a', target));
  add('links/outside.com', (target) => {
    writeFileSync(path.join(root, 'outside.com'), EICAR);
    symlinkSync(path.join(root, 'outside.com'), target);
  });
  const zip = (target: Buffer, entriesByName: Record<string, Buffer>) =>
    execFileSync('python3', [
      '-c',
      [
        'import sys, zipfile, json, base64',
        'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
        '    [z.writestr(n, base64.b64decode(d)) for n, d in json.loads(sys.argv[2]).items()]',
      ].join('\n'),
      latin(target),
      JSON.stringify(
        Object.fromEntries(Object.entries(entriesByName).map(([n, d]) => [n, d.toString('base64')])),
      ),
    ]);
  add('archives/eicar.zip', (target) => zip(target, { 'docs/eicar.txt': Buffer.from(EICAR) }));
  add('archives/nested.tgz', (target) => {
    const inner = path.join(root, 'inner.zip');
    zip(Buffer.from(inner), { 'eicar.txt': Buffer.from(EICAR) });
    const outer = path.join(root, 'outer.zip');
    execFileSync('zip', ['-q', '-j', outer, inner]);
    writeFileSync(target, gzipSync(readFileSync(outer)));
  });
  add('archives/encrypted.zip', (target) => {
    writeFileSync(path.join(root, 'secret.txt'), 'net pay: 1234.56');
    execFileSync('zip', ['-q', '-j', '-P', 'secret', latin(target), path.join(root, 'secret.txt')]);
  });
  add('archives/streamed-zip64.zip', (target) =>
    execFileSync('python3', [
      '-c',
      [
        'import sys, zipfile',
        'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
        '    with z.open("payload.bin", "w", force_zip64=True) as f: f.write(b"harmless text")',
      ].join('\n'),
      latin(target),
    ]),
  );
  add('archives/bomb.zip', (target) => writeZipBomb(latin(target)));
  add('archives/clam.zip', (target) => copyFileSync(path.join(CLAMAV_TESTFILES_DIR, 'clam.zip'), target));
  mkdirSync(path.join(root, 'empty-directory'));
}, 60_000);

afterAll(async () => {
  execFileSync('chmod', ['-R', 'u+rwX', root]);
  await rm(root, { recursive: true, force: true });
});

test('lambda-av scan and clamscan -r agree file by file on one hostile tree, except where lambda-av differs on purpose', async () => {
  const definitions = path.join(root, 'definitions');
  const clamscanDefinitions = path.join(root, 'clamscan-definitions');
  await writeTestDatabase(definitions);
  await writeTestDatabase(clamscanDefinitions);
  // lambda-av adds its policy signatures by itself; clamscan is given them, as in bench/dir-scan.ts.
  writeFileSync(path.join(clamscanDefinitions, POLICY_DATABASE_NAME), POLICY_DATABASE);
  const scratch = path.join(root, 'scratch');
  mkdirSync(scratch);
  chmodSync(scratch, 0o777);
  const env = {
    MAX_FILE_SIZE: String(MAX_FILE_SIZE),
    CLAMD_SCAN_TIMEOUT_MS: String(SCAN_TIMEOUT_MS),
    LAMBDA_AV_TMPDIR: scratch,
    LAMBDA_AV_CACHE_DIR: scratch,
    TMPDIR: scratch,
  };
  await runCli(['--help']); // compiled by this user, before another runs it
  const loop = path.join(tree, 'links', 'loop-a');

  const ours = await run(process.execPath, [BIN, 'scan', '--definitions', definitions, '--json', tree], env);
  const theirs = await run(
    'clamscan',
    ['-r', '--no-summary', '-d', clamscanDefinitions, ...clamscanLimits(), tree],
    env,
  );
  const oursLoop = await run(
    process.execPath,
    [BIN, 'scan', '--definitions', definitions, '--json', loop],
    env,
  );
  const theirsLoop = await run('clamscan', ['--no-summary', '-d', clamscanDefinitions, loop], env);

  const lambdaAv = lambdaAvCategories(ours, tree);
  const observed: Record<string, { lambdaAv: Category; clamscan: Category }> = {};
  for (const name of [...entries, 'locked/inside.com']) {
    observed[name] = {
      lambdaAv: lambdaAv.get(name) ?? 'passed over',
      clamscan: clamscanCategory(theirs, `${tree}/${name}`),
    };
  }
  observed['loop-as-path'] = {
    lambdaAv: lambdaAvCategories(oursLoop, tree).get('links/loop-a') ?? 'passed over',
    clamscan: clamscanCategory(theirsLoop, loop),
  };
  const differing = Object.fromEntries(
    Object.entries(observed).filter(([, both]) => both.lambdaAv !== both.clamscan),
  );

  expect(differing).toEqual(
    Object.fromEntries(
      Object.entries(DIFFERENCES).map(([name, { lambdaAv: l, clamscan: c }]) => [
        name,
        { lambdaAv: l, clamscan: c },
      ]),
    ),
  );
  // Where they agree, what they agree on:
  expect(
    Object.fromEntries(Object.entries(observed).map(([name, both]) => [name, both.clamscan])),
  ).toMatchObject({
    'clean.txt': 'clean',
    'package/__init__.py': 'clean',
    'eicar.com': 'detected',
    [latin(Buffer.from([...Buffer.from('names/bad'), 0xff, 0xfe, ...Buffer.from('utf8.com')]))]: 'detected',
    'names/new\nline.com': 'detected',
    'names/-leading-dash.com': 'detected',
    'unreadable.com': 'could-not-scan',
    locked: 'could-not-scan',
    'locked/inside.com': 'passed over',
    'special/fifo': 'passed over',
    'special/socket': 'passed over',
    'special/zero': 'passed over',
    'links/loop-a': 'passed over',
    'links/outside.com': 'passed over',
    'archives/eicar.zip': 'detected',
    'archives/nested.tgz': 'detected',
    'archives/encrypted.zip': 'could-not-scan',
    'archives/streamed-zip64.zip': 'could-not-scan',
    'archives/bomb.zip': 'could-not-scan',
    'archives/clam.zip': 'detected',
  });
  expect([ours.code, theirs.code]).toEqual([1, 1]);
}, 120_000);

test('PATH arguments: a missing one, a device and an empty directory as clamscan takes them; the other PATHs are scanned', async () => {
  const definitions = path.join(root, 'definitions-args');
  await writeTestDatabase(definitions);
  const missing = path.join(root, 'missing');
  const clean = path.join(tree, 'clean.txt');
  const env = { LAMBDA_AV_TMPDIR: path.join(root, 'scratch'), TMPDIR: path.join(root, 'scratch') };

  const ours = await run(
    process.execPath,
    [BIN, 'scan', '--definitions', definitions, '--json', missing, clean, '/dev/zero'],
    env,
  );
  const theirs = await run('clamscan', ['--no-summary', '-d', definitions, missing, clean, '/dev/zero'], env);
  const oursEmpty = await run(
    process.execPath,
    [BIN, 'scan', '--definitions', definitions, path.join(root, 'empty-directory')],
    env,
  );
  const theirsEmpty = await run(
    'clamscan',
    ['-r', '--no-summary', '-d', definitions, path.join(root, 'empty-directory')],
    env,
  );

  const lambdaAv = lambdaAvCategories(ours, root);
  expect({
    missing: [lambdaAv.get('missing'), clamscanCategory(theirs, missing)],
    clean: [lambdaAv.get('tree/clean.txt'), clamscanCategory(theirs, clean)],
    device: [lambdaAv.get('/dev/zero'), clamscanCategory(theirs, '/dev/zero')],
  }).toEqual({
    missing: ['could-not-scan', 'could-not-scan'],
    clean: ['clean', 'clean'],
    device: ['could-not-scan', 'could-not-scan'],
  });
  expect([ours.code, theirs.code]).toEqual([2, 2]);
  expect([oursEmpty.code, theirsEmpty.code]).toEqual([0, 0]);
}, 60_000);

test('content not fully scanned: clamscan exits 1 as for a virus, lambda-av 2 (UNSCANNABLE: nothing found, not judged)', async () => {
  const definitions = path.join(root, 'definitions-exit');
  await writeTestDatabase(definitions);
  const encrypted = path.join(tree, 'archives', 'encrypted.zip');
  const env = { LAMBDA_AV_TMPDIR: path.join(root, 'scratch'), TMPDIR: path.join(root, 'scratch') };

  const ours = await run(process.execPath, [BIN, 'scan', '--definitions', definitions, encrypted], env);
  const theirs = await run(
    'clamscan',
    ['--no-summary', '--alert-encrypted=yes', '-d', definitions, encrypted],
    env,
  );

  expect(latin(ours.stdout)).toContain(
    `${encrypted}: UNSCANNABLE Heuristics.Encrypted.Zip (not fully scanned: encrypted)`,
  );
  expect(latin(theirs.stdout)).toContain(`${encrypted}: Heuristics.Encrypted.Zip FOUND`);
  expect([ours.code, theirs.code]).toEqual([2, 1]);
});
