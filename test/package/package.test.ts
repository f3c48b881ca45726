import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '../support/serve';

// Proof from outside the repository (issue 28): the package that `npm run package` packs is
// installed into a fresh CDK app in a temporary directory, with aws-cdk-lib and constructs from
// the registry; the app synthesizes a stack that scans a bucket of its own (with blockReads) and
// an imported one, on x86_64 and arm64, and runs the command. The functions' code must be the
// zip in the package: no build, no Debian, no container engine on the app's side.
//
// Slow (the two zips, jsii, npm install): integration tier. LAMBDA_ZIP and LAMBDA_ARM64_ZIP
// name prebuilt zips; without them the test builds both with build_lambda.sh.

const REPO = path.join(__dirname, '..', '..');
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

let work: string;
let app: string;
let tarball: string;
const zips = { x86_64: '', arm64: '' };

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}
interface AssetManifest {
  files: Record<string, { source: { path: string; packaging: string } }>;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A zip named by the environment, or built by build_lambda.sh into the scratch directory. */
function lambdaZip(arch: 'x86_64' | 'arm64'): string {
  const given = process.env[arch === 'x86_64' ? 'LAMBDA_ZIP' : 'LAMBDA_ARM64_ZIP'];
  if (given) return given;
  const out = path.join(work, `lambda-${arch}.zip`);
  run(path.join(REPO, 'build_lambda.sh'), ['--arch', arch, '--out', out], REPO);
  return out;
}

/** The CDK app a team would write: TypeScript against the package's declarations. */
const APP_SOURCE = `import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaAv, OnInfected, Sweep } from 'lambda-av';
import { scanDirect, startScan, waitForScan } from 'lambda-av/client';

const app = new App({ outdir: 'cdk.out' });
for (const [id, architecture] of [['OnX86', lambda.Architecture.X86_64], ['OnArm', lambda.Architecture.ARM_64]] as const) {
  const stack = new Stack(app, id, { env: { account: '123456789012', region: 'us-east-1' } });
  const uploads = new s3.Bucket(stack, 'Uploads');
  const existing = s3.Bucket.fromBucketName(stack, 'Existing', 'existing-uploads');
  new LambdaAv(stack, 'LambdaAv', {
    architecture,
    scanBuckets: [
      { bucket: uploads, blockReadsUntilClean: true },
      { bucket: existing, onInfected: OnInfected.TAG },
    ],
    sweep: Sweep.daily(),
  });
}
app.synth();
// The client API's entry point resolves, with its declarations.
const client: Array<(...args: never[]) => Promise<unknown>> = [scanDirect, startScan, waitForScan];
process.stdout.write(\`client functions: \${client.length}\\n\`);
`;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'lambda-av-package-'));
  zips.x86_64 = lambdaZip('x86_64');
  zips.arm64 = lambdaZip('arm64');
  const packed = run(
    'npx',
    ['tsx', 'scripts/package.ts', '--zip-x86_64', zips.x86_64, '--zip-arm64', zips.arm64, '--out', work],
    REPO,
  );
  tarball = path.join(
    work,
    `lambda-av-${JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version}.tgz`,
  );
  expect(packed).toContain(tarball);
  // Printed for the record: the sizes the package's docs quote.
  process.stdout.write(packed);

  // Outside the checkout: nothing of the repository is on the app's module path.
  app = path.join(work, 'app');
  mkdirSync(app);
  const devDependencies = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).devDependencies;
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer-app',
      private: true,
      dependencies: {
        'aws-cdk-lib': devDependencies['aws-cdk-lib'],
        constructs: devDependencies.constructs,
        'lambda-av': `file:${tarball}`,
      },
    }),
  );
  run('npm', ['install', '--no-audit', '--no-fund'], app);
  writeFileSync(path.join(app, 'app.ts'), APP_SOURCE);
  // The repository's TypeScript checks the app against the package's declarations, resolving
  // 'lambda-av' and 'lambda-av/client' through the package's exports (node16 resolution).
  run(
    path.join(REPO, 'node_modules', '.bin', 'tsc'),
    [
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      '--typeRoots',
      path.join(REPO, 'node_modules', '@types'),
      'app.ts',
    ],
    app,
  );
  expect(run('node', ['app.js'], app)).toContain('client functions: 3');
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the package holds what runs and nothing of the repository besides', () => {
  const files = run('tar', ['-tzf', tarball], work).split('\n').filter(Boolean);
  expect(files).toEqual(
    expect.arrayContaining([
      'package/package.json',
      'package/.jsii',
      'package/infra/index.js',
      'package/infra/index.d.ts',
      'package/src/client/index.js',
      'package/src/client/index.d.ts',
      'package/src/cli/main.js',
      'package/bin/lambda-av.js',
      'package/statemachine/scan.asl.json',
      'package/lambda/x86_64/lambda.zip',
      'package/lambda/arm64/lambda.zip',
    ]),
  );
  const strays = files.filter(
    (file) =>
      /^package\/(test|bench|scripts|docs|dist|node_modules)\//.test(file) ||
      (file.endsWith('.ts') && !file.endsWith('.d.ts')),
  );
  expect(strays).toEqual([]);
  const manifest = JSON.parse(
    readFileSync(path.join(app, 'node_modules', 'lambda-av', 'package.json'), 'utf8'),
  );
  expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
  expect(manifest.dependencies).not.toHaveProperty('aws-cdk-lib');
  expect(manifest.private).toBeUndefined();
});

describe.each([
  ['OnX86', 'x86_64'],
  ['OnArm', 'arm64'],
] as const)('the app synthesizes %s', (stackName, arch) => {
  let template: Template;
  let assets: AssetManifest;
  const resources = (type: string) =>
    Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

  beforeAll(() => {
    template = JSON.parse(readFileSync(path.join(app, 'cdk.out', `${stackName}.template.json`), 'utf8'));
    assets = JSON.parse(readFileSync(path.join(app, 'cdk.out', `${stackName}.assets.json`), 'utf8'));
  });

  test(`the scanner runs the package's ${arch} lambda.zip, as it is`, () => {
    const [scanner] = resources('AWS::Lambda::Function').filter(
      ([, fn]) => fn.Properties.Handler === 'index.scanFileHandler',
    );
    const properties = scanner?.[1].Properties ?? {};
    expect(properties.Architectures).toEqual([arch]);
    const key = (properties.Code as { S3Key: string }).S3Key;
    const asset = assets.files[key.replace(/\.zip$/, '')];
    expect(asset?.source.packaging).toBe('file');
    const staged = path.join(app, 'cdk.out', asset?.source.path ?? 'missing');
    expect(sha256(staged)).toBe(sha256(zips[arch]));
  });

  test('the scan state machine runs statemachine/scan.asl.json', () => {
    const machines = resources('AWS::StepFunctions::StateMachine');
    const scan = machines.find(([id]) => id.startsWith('LambdaAvScanStateMachine'));
    expect(scan).toBeDefined();
    const key = ((scan?.[1].Properties.DefinitionS3Location ?? {}) as { Key: string }).Key;
    const asset = assets.files[key.replace(/\.json$/, '')];
    expect(readFileSync(path.join(app, 'cdk.out', asset?.source.path ?? 'missing'), 'utf8')).toBe(
      readFileSync(path.join(REPO, 'statemachine', 'scan.asl.json'), 'utf8'),
    );
  });

  test('an upload rule for each bucket starts the scan state machine', () => {
    const patterns = resources('AWS::Events::Rule')
      .map(([, rule]) => rule.Properties.EventPattern as { source?: string[]; detail?: { bucket?: unknown } })
      .filter((pattern) => pattern?.source?.[0] === 'aws.s3');
    expect(patterns.map((pattern) => pattern.detail?.bucket)).toEqual(
      expect.arrayContaining([
        { name: [{ Ref: expect.stringMatching(/^Uploads/) }] },
        { name: ['existing-uploads'] },
      ]),
    );
  });

  test("the app's own bucket denies reads until an object is tagged CLEAN", () => {
    const policies = resources('AWS::S3::BucketPolicy').filter(([id]) => id.startsWith('UploadsPolicy'));
    const statements = policies.flatMap(
      ([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: Array<{ Sid?: string; Effect: string }> })
          .Statement,
    );
    expect(statements).toEqual(
      expect.arrayContaining([expect.objectContaining({ Sid: 'LambdaAvReadOnlyWhenClean', Effect: 'Deny' })]),
    );
  });
});

test('docs/API.md is the reference jsii-docgen makes from the TSDoc (npm run docs:api rewrites it)', () => {
  const generated = readFileSync(path.join(REPO, 'build', 'package', 'API.md'), 'utf8');

  expect(readFileSync(path.join(REPO, 'docs', 'API.md'), 'utf8')).toBe(generated);
});

test('npx lambda-av --help answers from the app', () => {
  const help = spawnSync('npx', ['lambda-av', '--help'], { cwd: app, encoding: 'utf8' });

  expect(help.status).toBe(0);
  expect(help.stdout).toContain('lambda-av scan [options] PATH...');
});

test('npx lambda-av scan --test-signatures scans files from the app', () => {
  writeFileSync(path.join(app, 'eicar.com'), EICAR);
  writeFileSync(path.join(app, 'clean.txt'), 'nothing to see\n');
  expect(existsSync(path.join(app, 'node_modules', 'lambda-av', 'scripts'))).toBe(false);

  const scan = spawnSync('npx', ['lambda-av', 'scan', '--test-signatures', 'eicar.com', 'clean.txt'], {
    cwd: app,
    encoding: 'utf8',
  });

  expect(scan.status).toBe(1);
  expect(scan.stdout).toMatch(/^eicar\.com: INFECTED Eicar-Test-Signature/m);
  expect(scan.stdout).toMatch(/^clean\.txt: CLEAN/m);
});

test("npx lambda-av serve runs the stack from the app (Node.js and Debian's ClamAV, no Python), and an upload is scanned", async () => {
  // A process group of its own: Ctrl-C reaches npx and the command it runs.
  const serve = spawn('npx', ['lambda-av', 'serve', '--port', '0', '--test-signatures'], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  try {
    let printed = '';
    await new Promise<void>((resolve, reject) => {
      serve.stdout?.on('data', (chunk: Buffer) => {
        printed += chunk.toString();
        if (/^export LAMBDA_AV_BUCKET=/m.test(printed)) resolve();
      });
      serve.once('exit', (code) => reject(new Error(`serve exited ${code} before it was ready: ${printed}`)));
    });
    const env = Object.fromEntries(
      [...printed.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
    );
    const user = `${env.AWS_ACCESS_KEY_ID}:${env.AWS_SECRET_ACCESS_KEY}`;
    const sign = [
      '--aws-sigv4',
      'aws:amz:us-east-1:s3',
      '--user',
      user,
      '-H',
      'x-amz-content-sha256: UNSIGNED-PAYLOAD',
    ];
    run(
      'curl',
      [
        '-sSf',
        '--noproxy',
        '*',
        ...sign,
        '-X',
        'PUT',
        '--data-binary',
        EICAR,
        `${env.AWS_ENDPOINT_URL_S3}/uploads/eicar.com`,
      ],
      app,
    );
    // `?tagging=`: curl 7.88 signs a parameter without `=` differently from SigV4's canonical query.
    const tags = await eventually(async () => {
      const answer = spawnSync(
        'curl',
        ['-sS', '--noproxy', '*', ...sign, `${env.AWS_ENDPOINT_URL_S3}/uploads/eicar.com?tagging=`],
        { cwd: app, encoding: 'utf8' },
      ).stdout;
      return answer.includes('INFECTED') ? answer : undefined;
    });

    expect(tags).toContain('<Key>av-status</Key><Value>INFECTED</Value>');
  } finally {
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    process.kill(-(serve.pid as number), 'SIGINT');
    await exited;
  }
}, 120_000);

test('npx lambda-av template --out writes templates that pass cfn-lint, with the package zips as assets', () => {
  const template = spawnSync('npx', ['lambda-av', 'template', '--out', 'cloudformation'], {
    cwd: app,
    encoding: 'utf8',
  });
  expect(template.status).toBe(0);

  const out = path.join(app, 'cloudformation');
  const lint = spawnSync(
    'cfn-lint',
    [
      '--ignore-checks',
      'W3005',
      '--',
      path.join(out, 'lambda-av-standard.template.json'),
      path.join(out, 'lambda-av-express.template.json'),
    ],
    { encoding: 'utf8' },
  );
  expect(lint.stdout + lint.stderr).toBe('');
  expect(lint.status).toBe(0);
  for (const arch of ['x86_64', 'arm64'] as const) {
    expect(existsSync(path.join(out, 'assets', `lambda-${arch}-${sha256(zips[arch])}.zip`))).toBe(true);
  }
}, 300_000);
