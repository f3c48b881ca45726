import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type Run, runCli } from '../support/cli';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { mirrorEnv, startTestMirror } from '../support/mirror';
import { encryptPdf, minimalPdf } from '../support/pdf';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../support/signatures';
import { SCANNER_FUNCTION, type ScanStack, startScanStack } from '../support/workflow';

let root: string;
let isolated: Record<string, string>;

/** Runs the real command, with no definitions anywhere unless a test adds them. */
function lambdaAv(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runCli(args, { ...isolated, ...env });
}

function zip(entries: Record<string, Buffer>): Promise<Buffer> {
  const script = [
    'import io, sys, zipfile, json, base64',
    'entries = json.loads(sys.stdin.read())',
    'out = io.BytesIO()',
    'with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:',
    '    [z.writestr(name, base64.b64decode(data)) for name, data in entries.items()]',
    'sys.stdout.buffer.write(out.getvalue())',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', script], { encoding: 'buffer' }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(
      JSON.stringify(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.toString('base64')]))),
    );
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-cli-'));
  await mkdir(path.join(root, 'no-system-db'));
  isolated = {
    CLAMAV_SYSTEM_DATABASE_DIR: path.join(root, 'no-system-db'),
    LAMBDA_AV_CACHE_DIR: path.join(root, 'cache'),
  };
  await mkdir(path.join(root, 'clean', 'nested'), { recursive: true });
  await writeFile(path.join(root, 'clean', 'a.txt'), 'plain text');
  await writeFile(path.join(root, 'clean', 'nested', 'b.json'), '{"ok": true}');
  await mkdir(path.join(root, 'mixed'));
  await writeFile(path.join(root, 'mixed', 'readme.md'), '# hello');
  await writeFile(path.join(root, 'mixed', 'eicar.com'), EICAR);
  const inner = await zip({ 'docs/eicar.txt': Buffer.from(EICAR) });
  await writeFile(path.join(root, 'mixed', 'bundle.tgz'), gzipSync(await zip({ 'inner.zip': inner })));
  await mkdir(path.join(root, 'unscannable'));
  await writeFile(path.join(root, 'unscannable', 'notes.txt'), 'plain text');
  await writeFile(path.join(root, 'unscannable', 'secret.txt'), 'net pay: 1234.56');
  await promisify(execFile)('zip', ['-q', '-P', 'secret', 'payslip.zip', 'secret.txt'], {
    cwd: path.join(root, 'unscannable'),
  });
  await rm(path.join(root, 'unscannable', 'secret.txt'));
  await writeFile(
    path.join(root, 'unscannable', 'statement.pdf'),
    encryptPdf(minimalPdf(), { user: 'secret', owner: 'bank' }),
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a clean directory, scanned recursively, exits 0', async () => {
  const run = await lambdaAv(['scan', '--test-signatures', path.join(root, 'clean')]);

  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`${path.join(root, 'clean', 'a.txt')}: CLEAN`);
  expect(run.stdout).toContain(`${path.join(root, 'clean', 'nested', 'b.json')}: CLEAN`);
  expect(run.stdout).toMatch(/Files scanned: 2\nClean: 2\nInfected: 0/);
  expect(run.stderr).toMatch(/TEST SIGNATURES: they detect test files .* only/);
});

test('an infected file exits 1 and shows the signature', async () => {
  const run = await lambdaAv(['scan', '--test-signatures', path.join(root, 'mixed', 'eicar.com')]);

  expect(run.code).toBe(1);
  expect(run.stdout).toContain(`eicar.com: INFECTED ${EICAR_SIGNATURE}.UNOFFICIAL`);
});

test('a mixed directory: EICAR inside a zip inside a zip inside a gzip is found too; --json has the documented schema', async () => {
  const run = await lambdaAv(['scan', '--test-signatures', '--json', path.join(root, 'mixed')]);
  const report = JSON.parse(run.stdout) as {
    results: Array<{ path: string; status: string; signature?: string; durationMs: number }>;
    summary: Record<string, unknown>;
  };

  expect(run.code).toBe(1);
  // Results come as each file is done, not in walk order.
  expect(report.results.map((r) => [path.basename(r.path), r.status]).sort()).toEqual([
    ['bundle.tgz', 'INFECTED'],
    ['eicar.com', 'INFECTED'],
    ['readme.md', 'CLEAN'],
  ]);
  for (const result of report.results) {
    expect(Object.keys(result).sort()).toEqual(
      result.signature ? ['durationMs', 'path', 'signature', 'status'] : ['durationMs', 'path', 'status'],
    );
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  }
  expect(report.summary).toMatchObject({
    files: 3,
    clean: 1,
    infected: 2,
    skipped: 0,
    errors: 0,
    testSignatures: true,
  });
  expect(run.stderr).not.toMatch(/\[#/);
});

test('encrypted files get their own UNSCANNABLE line and summary count, and exit 2: not infected, not judged', async () => {
  const dir = path.join(root, 'unscannable');
  const run = await lambdaAv(['scan', '--test-signatures', dir]);
  const json = await lambdaAv(['scan', '--test-signatures', '--json', path.join(dir, 'payslip.zip')]);

  expect(run.code).toBe(2);
  expect(run.stdout).toContain(
    `${path.join(dir, 'payslip.zip')}: UNSCANNABLE Heuristics.Encrypted.Zip (not fully scanned: encrypted)`,
  );
  expect(run.stdout).toContain(
    `${path.join(dir, 'statement.pdf')}: UNSCANNABLE Heuristics.Encrypted.PDF (not fully scanned: encrypted)`,
  );
  expect(run.stdout).toContain(`${path.join(dir, 'notes.txt')}: CLEAN`);
  expect(run.stdout).toMatch(
    /Files scanned: 3\nClean: 1\nInfected: 0\nUnscannable \(not fully scanned\): 2\nSkipped \(over the size limit\): 0\nErrors: 0/,
  );
  expect(json.code).toBe(2);
  expect(JSON.parse(json.stdout)).toMatchObject({
    results: [
      {
        path: path.join(dir, 'payslip.zip'),
        status: 'UNSCANNABLE',
        signature: 'Heuristics.Encrypted.Zip',
        unscannable: true,
        reason: 'encrypted',
      },
    ],
    summary: { files: 1, clean: 0, infected: 0, unscannable: 1, skipped: 0, errors: 0 },
  });
});

test('UNSCANNABLE_POLICY=block-as-infected: encrypted files are INFECTED as before, say why, and exit 1', async () => {
  const run = await lambdaAv(['scan', '--test-signatures', path.join(root, 'unscannable', 'payslip.zip')], {
    UNSCANNABLE_POLICY: 'block-as-infected',
  });

  expect(run.code).toBe(1);
  expect(run.stdout).toContain(
    'payslip.zip: INFECTED Heuristics.Encrypted.Zip (not fully scanned: encrypted)',
  );
  expect(run.stdout).toMatch(/Infected: 1\nUnscannable \(not fully scanned\): 0/);
});

test('a missing PATH is an error line and the other PATHs are still scanned, as with clamscan: exit 2', async () => {
  const run = await lambdaAv([
    'scan',
    '--test-signatures',
    path.join(root, 'nope'),
    path.join(root, 'clean', 'a.txt'),
  ]);

  expect(run.code).toBe(2);
  expect(run.stdout).toContain(`${path.join(root, 'nope')}: PROCESSING_ERROR (no such file or directory)`);
  expect(run.stdout).toContain(`${path.join(root, 'clean', 'a.txt')}: CLEAN`);
  expect(run.stdout).toMatch(
    /Files scanned: 1\nClean: 1\n[\s\S]*Not scanned \(directories not read, PATHs missing or not files\): 1/,
  );
});

test.each([
  [['scan', '--frobnicate', 'x'], /lambda-av: Unknown option '--frobnicate'/],
  [['scan'], /scan needs at least one PATH/],
  [['scan', '--concurrency', 'many', 'x'], /--concurrency must be a whole number from 1 to 64, got "many"/],
  [['explode'], /no such command: explode/],
  [['scan', '--remote', 's3://b/k'], /--remote needs the scan state machine/],
  [['scan', '--workflow', '--direct', 's3://b/k'], /choose one of --workflow, --remote and --direct/],
  [['serve', '--port', 'http'], /--port must be 0 or a port number up to 65531, got "http"/],
  [['serve', '--bucket', 'Not_A_Bucket'], /--bucket: not a valid bucket name: "Not_A_Bucket"/],
  [
    ['serve', '--bucket', 'lambda-av-definitions'],
    /--bucket: lambda-av-definitions is one of the stack's own buckets/,
  ],
  [['scan', '--direct', 'not-an-s3-url'], /expected s3:\/\/BUCKET\/KEY, got "not-an-s3-url"/],
])('bad arguments %j exit 2 with a clear message', async (args, message) => {
  const run = await lambdaAv(args);

  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).toMatch(/Run 'lambda-av help/);
});

test('without definitions the command says exactly how to get them', async () => {
  const run = await lambdaAv(['scan', path.join(root, 'clean')]);

  expect(run.code).toBe(2);
  expect(run.stderr).toContain('no ClamAV definitions found');
  expect(run.stderr).toContain('lambda-av update');
  expect(run.stderr).toContain('--definitions DIR');
  expect(run.stderr).toContain('--test-signatures');
});

test('--definitions DIR is used as given', async () => {
  const dir = path.join(root, 'own-db');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'own.ndb'), `${bodySignature('Own-Signature', 'plain text')}\n`);

  const run = await lambdaAv(['scan', '--definitions', dir, path.join(root, 'clean', 'a.txt')]);

  expect(run.code).toBe(1);
  expect(run.stdout).toContain('a.txt: INFECTED Own-Signature.UNOFFICIAL');
});

test('help is complete for every command', async () => {
  const main = await lambdaAv(['--help']);
  const scan = await lambdaAv(['help', 'scan']);
  const update = await lambdaAv(['update', '--help']);
  const history = await lambdaAv(['history', '-h']);
  const serve = await lambdaAv(['help', 'serve']);

  expect(main.code).toBe(0);
  for (const command of ['scan', 'serve', 'update', 'history'])
    expect(main.stdout).toContain(`lambda-av ${command}`);
  for (const option of [
    '--definitions',
    '--test-signatures',
    '--json',
    '--workflow',
    '--remote',
    '--direct',
    '--state-machine',
    '--function',
    '--concurrency',
  ]) {
    expect(scan.stdout).toContain(option);
  }
  expect(update.stdout).toContain('CLAMAV_MIRROR_URL');
  expect(history.stdout).toContain('--max');
  for (const option of [
    '--port',
    '--bucket',
    '--data-dir',
    '--definitions',
    '--test-signatures',
    '--write-env',
  ])
    expect(serve.stdout).toContain(option);
});

test('lambda-av update fetches definitions with the updater code; later scans use them', async () => {
  const mirror = await startTestMirror();
  mirror.set('cli.ndb', `${bodySignature('Mirror-Signature', 'plain text')}\n`);
  try {
    const env = mirrorEnv(mirror, ['cli.ndb']);
    const update = await lambdaAv(['update'], env);
    const again = await lambdaAv(['update', '--json'], env);
    const scan = await lambdaAv(['scan', path.join(root, 'clean', 'a.txt')]);

    expect(update.code).toBe(0);
    expect(update.stdout).toMatch(/^Updated: definitions \d{8}T\d{6}Z-[0-9a-f]{8}/);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false });
    expect(scan.code).toBe(1);
    expect(scan.stdout).toContain('a.txt: INFECTED Mirror-Signature.UNOFFICIAL');
  } finally {
    await mirror.stop();
  }
});

describe('against deployed resources (local Step Functions and Lambda endpoints)', () => {
  let h: Harness;
  let stack: ScanStack;
  let env: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness();
    stack = await startScanStack(h);
    env = {
      AWS_ENDPOINT_URL_SFN: stack.sfnServer.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: stack.workflow.lambdaServer.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: h.s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: h.s3.credentials.secretAccessKey,
      LAMBDA_AV_STATE_MACHINE_ARN: stack.stateMachineArn,
      LAMBDA_AV_FUNCTION_NAME: SCANNER_FUNCTION,
    };
    await h.s3.put(UPLOADS_BUCKET, 'in/eicar.com', EICAR);
    await h.s3.put(UPLOADS_BUCKET, 'in/clean file.txt', 'fine');
    await h.s3.put(
      UPLOADS_BUCKET,
      'in/payslip.zip',
      await readFile(path.join(root, 'unscannable', 'payslip.zip')),
    );
  });
  afterAll(async () => {
    await stack.stop();
    await h.stop();
  });

  test('--remote starts executions of the scan state machine and waits for their verdicts', async () => {
    const run = await lambdaAv(
      [
        'scan',
        '--remote',
        `s3://${UPLOADS_BUCKET}/in/eicar.com`,
        `s3://${UPLOADS_BUCKET}/in/clean file.txt`,
        `s3://${UPLOADS_BUCKET}/in/payslip.zip`,
      ],
      env,
    );

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `s3://${UPLOADS_BUCKET}/in/payslip.zip: UNSCANNABLE Heuristics.Encrypted.Zip (not fully scanned: encrypted)`,
    );
    expect(run.stdout).toMatch(/Infected: 1\nUnscannable \(not fully scanned\): 1\n/);
    expect(run.stdout).toContain(
      `s3://${UPLOADS_BUCKET}/in/eicar.com: INFECTED ${EICAR_SIGNATURE}.UNOFFICIAL`,
    );
    expect(run.stdout).toContain(`s3://${UPLOADS_BUCKET}/in/clean file.txt: CLEAN`);
  });

  test('--direct invokes the scanner function', async () => {
    const run = await lambdaAv(
      ['scan', '--direct', '--json', `s3://${UPLOADS_BUCKET}/in/clean file.txt`],
      env,
    );

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).results).toEqual([
      { path: `s3://${UPLOADS_BUCKET}/in/clean file.txt`, status: 'CLEAN', durationMs: expect.any(Number) },
    ]);
  });

  test('--remote with an Express scan machine scans each object with StartSyncExecution', async () => {
    const run = await lambdaAv(
      ['scan', '--remote', `s3://${UPLOADS_BUCKET}/in/eicar.com`, `s3://${UPLOADS_BUCKET}/in/clean file.txt`],
      { ...env, LAMBDA_AV_STATE_MACHINE_ARN: stack.expressStateMachineArn },
    );

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `s3://${UPLOADS_BUCKET}/in/eicar.com: INFECTED ${EICAR_SIGNATURE}.UNOFFICIAL`,
    );
    expect(run.stdout).toContain(`s3://${UPLOADS_BUCKET}/in/clean file.txt: CLEAN`);
  });

  test('history of an Express scan machine says that Express keeps no history, and where to look', async () => {
    const run = await lambdaAv(['history'], {
      ...env,
      LAMBDA_AV_STATE_MACHINE_ARN: stack.expressStateMachineArn,
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /history reads Standard workflows only: an Express workflow keeps no execution history/,
    );
  });

  test('history lists recent scan executions with their verdicts', async () => {
    await stack.sfnServer.settled();

    const run = await lambdaAv(['history', '--json'], env);
    const text = await lambdaAv(['history'], env);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).executions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          object: `s3://${UPLOADS_BUCKET}/in/eicar.com`,
          verdict: 'INFECTED',
          status: 'SUCCEEDED',
        }),
        expect.objectContaining({ object: `s3://${UPLOADS_BUCKET}/in/clean file.txt`, verdict: 'CLEAN' }),
        expect.objectContaining({
          object: `s3://${UPLOADS_BUCKET}/in/payslip.zip`,
          verdict: 'UNSCANNABLE',
          signature: 'Heuristics.Encrypted.Zip',
          unscannable: true,
          reason: 'encrypted',
        }),
      ]),
    );
    expect(text.stdout).toMatch(
      /UNSCANNABLE Heuristics\.Encrypted\.Zip \(not fully scanned: encrypted\) {2}s3:\/\/uploads\/in\/payslip\.zip/,
    );
    expect(text.stdout).toMatch(
      /INFECTED Eicar-Test-Signature\.UNOFFICIAL {2}s3:\/\/uploads\/in\/eicar\.com/,
    );
  });
});
