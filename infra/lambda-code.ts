import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BundlingOutput, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

export const REPO_ROOT = path.join(__dirname, '..');

/** What goes into lambda.zip: build_lambda.sh bundles src/ with node_modules (pinned by the lock file). */
const BUILD_INPUTS = ['build_lambda.sh', 'package-lock.json', 'src'];

export interface LambdaZipOptions {
  readonly architecture: lambda.Architecture;
  /** @default the repository holding this file */
  readonly repoRoot?: string;
}

/**
 * Where the package keeps the prebuilt deployment packages, `lambda/<x86_64|arm64>/lambda.zip`
 * beside infra/ (scripts/package.ts puts them there; a checkout of the repository has none).
 */
export const PACKAGED_ZIP_DIR = path.join(__dirname, '..', 'lambda');

/** The name build_lambda.sh and the package use for an architecture. */
export function architectureName(architecture: lambda.Architecture): 'x86_64' | 'arm64' {
  return architecture.name === lambda.Architecture.ARM_64.name ? 'arm64' : 'x86_64';
}

/**
 * The code both functions run when the props give none: in the installed package, its prebuilt
 * zip for the architecture (no build, no Debian, no container engine); in a checkout of the
 * repository, lambda.zip built at synth time.
 */
export function defaultLambdaCode(architecture: lambda.Architecture): lambda.Code {
  const packaged = path.join(PACKAGED_ZIP_DIR, architectureName(architecture), 'lambda.zip');
  return existsSync(packaged) ? lambda.Code.fromAsset(packaged) : lambdaCodeFromBuild({ architecture });
}

/** `lambda.zip` as the CDK asset of both functions: a prebuilt file, used as it is. */
export function lambdaCodeFromZip(zipPath: string): lambda.Code {
  if (!existsSync(zipPath)) throw new Error(`lambda.zip not found at ${JSON.stringify(zipPath)}`);
  return lambda.Code.fromAsset(zipPath);
}

/**
 * `lambda.zip` built at synth time by `./build_lambda.sh --arch ARCH --out <asset dir>/lambda.zip`,
 * on this machine (no container engine: the script fetches Debian's ClamAV packages with
 * apt-get and unpacks them itself). The asset hash is taken from the build's inputs and the
 * architecture, so an unchanged tree reuses the zip already in cdk.out instead of rebuilding.
 */
export function lambdaCodeFromBuild(options: LambdaZipOptions): lambda.Code {
  const root = options.repoRoot ?? REPO_ROOT;
  const arch = architectureName(options.architecture);
  const script = path.join(root, 'build_lambda.sh');
  return lambda.Code.fromAsset(root, {
    assetHash: buildInputsHash(root, arch),
    bundling: {
      // Required by the API, never pulled: local bundling below either builds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/debian:bookworm-slim'),
      outputType: BundlingOutput.ARCHIVED,
      local: {
        tryBundle(outputDir: string): boolean {
          if (!existsSync(script)) {
            throw new Error(
              `cannot build lambda.zip: ${script} does not exist (or pass a prebuilt zip with -c lambdaZip=PATH)`,
            );
          }
          // The app's stdout belongs to the CDK CLI; the build's progress goes to stderr.
          const result = spawnSync(script, ['--arch', arch, '--out', path.join(outputDir, 'lambda.zip')], {
            cwd: root,
            stdio: ['ignore', 2, 2],
          });
          if (result.error || result.status !== 0) {
            throw new Error(
              `build_lambda.sh --arch ${arch} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}); it needs a Debian or Ubuntu host with apt-get and dpkg (or pass a prebuilt zip with -c lambdaZip=PATH)`,
            );
          }
          return true;
        },
      },
    },
  });
}

/** SHA-256 over the build inputs' paths and contents, in a stable order, and the architecture. */
export function buildInputsHash(root: string, arch: string): string {
  const hash = createHash('sha256').update(`arch=${arch}\n`);
  for (const file of BUILD_INPUTS.flatMap((input) => filesUnder(root, input)).sort()) {
    hash.update(`${file}\n`).update(readFileSync(path.join(root, file)));
  }
  return hash.digest('hex');
}

function filesUnder(root: string, relative: string): string[] {
  const full = path.join(root, relative);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full).flatMap((name) => filesUnder(root, path.join(relative, name)));
}
