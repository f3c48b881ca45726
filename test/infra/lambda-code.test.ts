import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildInputsHash, lambdaCodeFromBuild } from '../../infra/lambda-code';
import { scratchDir, testApp } from './support';

/** A repository whose build_lambda.sh records its arguments in the zip it writes. */
function fakeRepo(script: string): string {
  const root = scratchDir('repo');
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src', 'index.ts'), 'export {};\n');
  writeFileSync(path.join(root, 'package-lock.json'), '{}\n');
  writeFileSync(path.join(root, 'build_lambda.sh'), script);
  chmodSync(path.join(root, 'build_lambda.sh'), 0o755);
  return root;
}

const RECORDING_BUILD = `#!/usr/bin/env bash
set -euo pipefail
out=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "$*" > "$work/args.txt"
(cd "$work" && zip -q "$out" args.txt)
`;

/** Synthesizes a function with `code` and returns the cloud assembly directory. */
function synthWith(code: lambda.Code): string {
  const app = testApp();
  const stack = new Stack(app, 'Test');
  new lambda.Function(stack, 'Fn', {
    code,
    handler: 'index.scanFileHandler',
    runtime: lambda.Runtime.NODEJS_22_X,
  });
  return app.synth().directory;
}

test('the asset is the zip build_lambda.sh writes, built for the function architecture', () => {
  const root = fakeRepo(RECORDING_BUILD);
  const outdir = synthWith(lambdaCodeFromBuild({ architecture: lambda.Architecture.ARM_64, repoRoot: root }));

  const zips = readdirSync(outdir).filter((name) => name.endsWith('.zip'));
  expect(zips).toHaveLength(1);
  const args = execFileSync('unzip', ['-p', path.join(outdir, zips[0] as string), 'args.txt'], {
    encoding: 'utf8',
  });
  expect(args).toMatch(/^--arch arm64 --out \/.+\/lambda\.zip\n$/);
});

test('a failing build fails the synth, saying what to do', () => {
  const root = fakeRepo('#!/usr/bin/env bash\nexit 3\n');

  expect(() =>
    synthWith(lambdaCodeFromBuild({ architecture: lambda.Architecture.X86_64, repoRoot: root })),
  ).toThrow(/build_lambda.sh --arch x86_64 failed \(exit 3\).*-c lambdaZip=PATH/);
});

test('without build_lambda.sh the synth fails, naming the missing script', () => {
  const root = fakeRepo('');
  rmSync(path.join(root, 'build_lambda.sh'));

  expect(() =>
    synthWith(lambdaCodeFromBuild({ architecture: lambda.Architecture.X86_64, repoRoot: root })),
  ).toThrow(/build_lambda.sh does not exist/);
});

test('the asset hash follows the sources and the architecture, so unchanged inputs reuse the built zip', () => {
  const root = fakeRepo(RECORDING_BUILD);
  const before = buildInputsHash(root, 'x86_64');

  expect(buildInputsHash(root, 'x86_64')).toBe(before);
  expect(buildInputsHash(root, 'arm64')).not.toBe(before);
  writeFileSync(path.join(root, 'src', 'index.ts'), 'export const changed = true;\n');
  expect(buildInputsHash(root, 'x86_64')).not.toBe(before);
});
