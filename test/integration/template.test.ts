import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEMPLATE_FILES, writeTemplates } from '../../infra/template-app';
import { zipDirectory } from '../../infra/zip-directory';

// The templates for teams without CDK (docs/template.md), judged by AWS's linter (cfn-lint) and
// read back: every S3 location they deploy from is an object of the AssetsBucketName parameter's
// bucket that assets/ holds, and nothing points at a CDK bootstrap bucket. Stand-in zips take the
// place of lambda.zip: the templates only name them (test/package uses the real ones).

let work: string;
let out: string;
const templates: Record<string, Template> = {};

interface Template {
  Parameters: Record<string, { Type: string; Default?: string; AllowedValues?: string[] }>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Condition?: string }>;
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'lambda-av-template-test-'));
  const standIn = (name: string) => {
    const file = path.join(work, name);
    writeFileSync(file, `${name}: a stand-in for lambda.zip\n`);
    return file;
  };
  out = path.join(work, 'out');
  writeTemplates({ outDir: out, zips: { x86_64: standIn('x86.zip'), arm64: standIn('arm.zip') } });
  for (const file of Object.values(TEMPLATE_FILES)) {
    templates[file] = JSON.parse(readFileSync(path.join(out, file), 'utf8'));
  }
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('both templates pass cfn-lint', () => {
  // W3005 (a DependsOn that a Ref already implies) is how CDK writes its roles' default policies.
  const lint = spawnSync(
    'cfn-lint',
    ['--ignore-checks', 'W3005', '--', ...Object.values(TEMPLATE_FILES).map((file) => path.join(out, file))],
    { encoding: 'utf8' },
  );

  expect(lint.stdout + lint.stderr).toBe('');
  expect(lint.status).toBe(0);
});

describe.each(Object.values(TEMPLATE_FILES))('%s', (file) => {
  const template = () => templates[file] as Template;

  test("is over the 51,200 bytes of an inline template (docs/template.md's --s3-bucket) and under S3's 1 MB", () => {
    const size = statSync(path.join(out, file)).size;
    expect(size).toBeGreaterThan(51_200);
    expect(size).toBeLessThan(1_000_000);
  });

  test('has the parameters a team sets, and none of the CDK bootstrap', () => {
    const { Parameters } = template();
    expect(Object.keys(Parameters).sort()).toEqual([
      'AlarmEmail',
      'Architecture',
      'AssetsBucketName',
      'AssetsKeyPrefix',
      'ScanBucketNames',
      'TagPreset',
    ]);
    expect(Parameters.ScanBucketNames?.Type).toBe('CommaDelimitedList');
    expect(Parameters.TagPreset?.AllowedValues).toEqual(['lambda-av', 'guardduty']);
    expect(Parameters.Architecture?.AllowedValues).toEqual(['x86_64', 'arm64']);
    expect(JSON.stringify(template())).not.toMatch(/cdk-hnb659fds|BootstrapVersion/);
  });

  test('every S3 location it deploys from is in assets/, in the AssetsBucketName bucket', () => {
    const locations = Object.values(template().Resources).flatMap((resource) => {
      const code = resource.Properties.Code as { S3Bucket?: unknown; S3Key?: unknown } | undefined;
      const definition = resource.Properties.DefinitionS3Location as
        | { Bucket: unknown; Key: unknown }
        | undefined;
      return [
        ...(code?.S3Key ? [{ bucket: code.S3Bucket, key: code.S3Key }] : []),
        ...(definition ? [{ bucket: definition.Bucket, key: definition.Key }] : []),
      ];
    });
    expect(locations.length).toBeGreaterThanOrEqual(5);
    for (const { bucket, key } of locations) {
      expect(bucket).toEqual({ Ref: 'AssetsBucketName' });
      // Fn::Join ['', [{Ref: AssetsKeyPrefix}, KEY]], KEY a name or Fn::If [OnArm64, ARM, X86].
      const [, [prefix, name]] = (key as { 'Fn::Join': [string, [unknown, unknown]] })['Fn::Join'];
      expect(prefix).toEqual({ Ref: 'AssetsKeyPrefix' });
      const names =
        typeof name === 'string'
          ? [name]
          : (name as { 'Fn::If': [string, string, string] })['Fn::If'].slice(1);
      for (const object of names) expect(existsSync(path.join(out, 'assets', object as string))).toBe(true);
    }
  });

  test('the upload rule matches the buckets of ScanBucketNames and the scanner may read and tag their objects', () => {
    const rules = Object.values(template().Resources).filter(
      (resource) =>
        resource.Type === 'AWS::Events::Rule' &&
        (resource.Properties.EventPattern as { source?: string[] } | undefined)?.source?.[0] === 'aws.s3',
    );
    expect(rules.map((rule) => (rule.Properties.EventPattern as { detail: unknown }).detail)).toEqual([
      { bucket: { name: { Ref: 'ScanBucketNames' } } },
    ]);
    // The scanner's statements on the named buckets (CDK puts named statements added to a
    // function's role in policies of their own).
    const statements = Object.entries(template().Resources)
      .filter(([id, resource]) => resource.Type === 'AWS::IAM::Policy' && id.startsWith('LambdaAvScanner'))
      .flatMap(
        ([, policy]) =>
          (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement,
      );
    const objects = statements.find((statement) => statement.Sid === 'ScanBucketNamesObjects');
    expect(objects?.Action).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObjectTagging']));
    expect(JSON.stringify(objects?.Resource)).toContain('"Ref":"ScanBucketNames"');
  });

  test('TagPreset switches the status tag and values the functions get', () => {
    const scanner = Object.entries(template().Resources).find(
      ([, resource]) =>
        resource.Type === 'AWS::Lambda::Function' && resource.Properties.Handler === 'index.scanFileHandler',
    )?.[1];
    const environment =
      (scanner?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ??
      {};
    expect(environment.METADATA_FILE_STATUS).toEqual({
      'Fn::If': ['GuardDutyTags', 'GuardDutyMalwareScanStatus', 'av-status'],
    });
    expect(environment.FILE_STATUS_CLEAN).toEqual({
      'Fn::If': ['GuardDutyTags', 'NO_THREATS_FOUND', 'CLEAN'],
    });
  });

  test('AlarmEmail subscribes an address only when given', () => {
    const subscriptions = Object.values(template().Resources).filter(
      (resource) => resource.Type === 'AWS::SNS::Subscription',
    );
    expect(subscriptions).toEqual([
      expect.objectContaining({
        Condition: 'HasAlarmEmail',
        Properties: expect.objectContaining({ Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } }),
      }),
    ]);
  });
});

test('a directory asset is written as a zip that unzip reads back whole', () => {
  const dir = path.join(work, 'handler');
  mkdirSync(path.join(dir, 'lib'), { recursive: true });
  writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async () => 1;\n');
  writeFileSync(path.join(dir, 'lib', 'data.txt'), 'x'.repeat(10_000));
  const zip = path.join(work, 'handler.zip');
  writeFileSync(zip, zipDirectory(dir));

  const test = spawnSync('unzip', ['-t', zip], { encoding: 'utf8' });
  const list = spawnSync('unzip', ['-Z1', zip], { encoding: 'utf8' });

  expect(test.status).toBe(0);
  expect(list.stdout.split('\n').filter(Boolean)).toEqual(['index.js', 'lib/data.txt']);
  const extracted = spawnSync('unzip', ['-p', zip, 'lib/data.txt'], { encoding: 'utf8' });
  expect(extracted.stdout).toBe('x'.repeat(10_000));
});
