import { execFile } from 'node:child_process';
import path from 'node:path';

// Clients the project did not write: Debian's AWS CLI (package awscli, 2.9) and curl. The CLI
// predates the AWS_ENDPOINT_URL_* variables, so every call names its endpoint; a pyenv `aws` may
// come first on PATH, so the Debian one is called by its path.
const AWS = '/usr/bin/aws';

export interface ClientRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type LocalService = 's3' | 'sfn' | 'lambda' | 'cloudwatch';

/** The environment `lambda-av serve` printed, as the AWS CLI reads it: its credentials, no configuration files. */
export function cliEnvironment(served: Record<string, string>, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_ACCESS_KEY_ID: served.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: served.AWS_SECRET_ACCESS_KEY ?? '',
    AWS_DEFAULT_REGION: 'us-east-1',
    // No configuration files, no pager, and never the instance metadata service.
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

export function endpointOf(served: Record<string, string>, service: LocalService): string {
  return {
    s3: served.AWS_ENDPOINT_URL_S3,
    sfn: served.AWS_ENDPOINT_URL_SFN,
    lambda: served.AWS_ENDPOINT_URL_LAMBDA,
    cloudwatch: served.AWS_ENDPOINT_URL_CLOUDWATCH,
  }[service] as string;
}

/** Runs `aws --endpoint-url ENDPOINT --output json ARGS...` against one of serve's endpoints. */
export function awsCli(
  served: Record<string, string>,
  home: string,
  service: LocalService,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ClientRun> {
  return run(
    AWS,
    ['--endpoint-url', endpointOf(served, service), '--output', 'json', ...args],
    {
      ...cliEnvironment(served, home),
      ...env,
    },
    home,
  );
}

/** Runs curl (never through a proxy); `-w '\n%{http_code}'` style options are the caller's. */
export function curl(args: readonly string[], home: string): Promise<ClientRun> {
  return run(
    'curl',
    ['--silent', '--show-error', '--noproxy', '*', ...args],
    { PATH: process.env.PATH ?? '', HOME: home },
    home,
  );
}

/** curl's own SigV4 signing (`--aws-sigv4`) with serve's credentials; S3 needs the payload hash header. */
export function curlSigned(served: Record<string, string>, service: string): string[] {
  return [
    '--aws-sigv4',
    `aws:amz:us-east-1:${service}`,
    '--user',
    `${served.AWS_ACCESS_KEY_ID}:${served.AWS_SECRET_ACCESS_KEY}`,
    ...(service === 's3' ? ['-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD'] : []),
  ];
}

/** The status code curl printed last (with `-w '\n%{http_code}'`), and the body before it. */
export function statusAndBody(run: ClientRun): { status: number; body: string } {
  const cut = run.stdout.lastIndexOf('\n');
  return { status: Number(run.stdout.slice(cut + 1)), body: run.stdout.slice(0, cut) };
}

function run(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
): Promise<ClientRun> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd, timeout: 120_000, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
