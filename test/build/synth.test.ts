import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The one test of the real app: `npx cdk synth` as a user runs it, with lambda.zip built by
 * build_lambda.sh through the asset's local bundling, the cdk-nag checks the app applies and
 * CDK's built-in CloudFormation validation, without AWS credentials. The first build fetches
 * ClamAV's Debian packages (a minute or two); later ones reuse build/cache.
 */
test('npx cdk synth builds lambda.zip and synthesizes the app without AWS credentials', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'lambda-av-synth-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  try {
    execFileSync(
      'npx',
      [
        'cdk',
        'synth',
        '--quiet',
        '--output',
        outdir,
        '-c',
        'scanBuckets=uploads',
        '-c',
        'alarmEmails=ops@example.com',
      ],
      {
        cwd: ROOT,
        env: {
          ...env,
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: path.join(outdir, 'no-config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(outdir, 'no-credentials'),
          CDK_DISABLE_VERSION_CHECK: 'true',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
      },
    );

    const template = JSON.parse(readFileSync(path.join(outdir, 'LambdaAv.template.json'), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<
        string,
        { Type: string; Properties: { Handler?: string; Code?: { S3Key?: string } } }
      >,
    ).filter(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        /^index\.(scanFileHandler|updateDefinitionsHandler)$/.test(resource.Properties.Handler ?? ''),
    );
    expect(functions.map((fn) => fn.Properties.Handler).sort()).toEqual([
      'index.scanFileHandler',
      'index.updateDefinitionsHandler',
    ]);
    // Both functions deploy the one zip build_lambda.sh wrote.
    const keys = [...new Set(functions.map((fn) => fn.Properties.Code?.S3Key))];
    expect(keys).toHaveLength(1);
    const zip = path.join(outdir, `asset.${keys[0]}`);
    const entries = execFileSync('unzip', ['-Z1', zip], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    }).split('\n');
    expect(entries).toEqual(expect.arrayContaining(['index.js', 'clamav/bin/clamd', 'clamav/bin/freshclam']));

    // cdk-nag ran in the app: every finding is compliant or suppressed with a reason.
    const nagReport = readdirSync(outdir).find(
      (name) => name.startsWith('AwsSolutions-') && name.endsWith('.csv'),
    );
    expect(nagReport).toBeDefined();
    const rows = readFileSync(path.join(outdir, nagReport as string), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    expect(rows.filter((row) => !/^"[^"]+","[^"]+","(Compliant|Suppressed)"/.test(row))).toEqual([]);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}, 600_000);
