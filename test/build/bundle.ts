import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
const INVOKE_SCRIPT = path.join(__dirname, 'invoke-bundle.cjs');

/** The unprivileged user the handlers run as, as on Lambda (the namespace needs root to set up). */
export const RUN_AS = { uid: 65534, gid: 65534 };

interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

interface RunOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program (no shell) and returns its exit code and output, whatever the code. */
export function run(file: string, args: readonly string[], options: RunOptions): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (typeof code !== 'number') reject(new Error(`${file} failed: ${error?.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs build_lambda.sh with `args`; throws with its output when it fails. */
export async function buildZip(args: readonly string[]): Promise<string> {
  const result = await run(path.join(REPO, 'build_lambda.sh'), args, {
    cwd: REPO,
    env: process.env,
    timeoutMs: 20 * 60_000,
  });
  if (result.code !== 0) {
    throw new Error(
      `build_lambda.sh ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

export async function unzip(zip: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const result = await run('unzip', ['-q', zip, '-d', dir], { timeoutMs: 5 * 60_000 });
  if (result.code !== 0) throw new Error(`unzip ${zip} exited ${result.code}: ${result.stderr}`);
}

export async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A directory the unprivileged user may write. */
export async function writableDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await chown(dir, RUN_AS.uid, RUN_AS.gid);
  await chmod(dir, 0o755);
  return dir;
}

// Set up inside a private mount namespace, then the command is run as the unprivileged user.
// The system's ClamAV (programs, libraries, databases) is covered, so only a bundle's own copy
// can run; so are the parts of a Debian system that Amazon Linux 2023 does not have and the
// bundle's programs would otherwise pick up (glibc's iconv modules, Debian's CA certificates).
// TEST_RESOLV_CONF / TEST_NSSWITCH_CONF, when set, replace the name service configuration.
const NAMESPACE_SETUP = `
for file in /usr/sbin/clamd /usr/bin/clamscan /usr/bin/clamdscan /usr/bin/freshclam /usr/bin/sigtool \\
    /usr/lib/*/libclamav.so* /usr/lib/*/libfreshclam.so*; do
  if [ -e "$file" ]; then mount --bind /dev/null "$file"; fi
done
for dir in /var/lib/clamav /etc/clamav /usr/lib/*/gconv /etc/ssl/certs /usr/lib/ssl; do
  if [ -d "$dir" ]; then mount -t tmpfs -o ro,size=16k none "$dir"; fi
done
if [ -n "\${TEST_RESOLV_CONF:-}" ]; then mount --bind "$TEST_RESOLV_CONF" /etc/resolv.conf; fi
if [ -n "\${TEST_NSSWITCH_CONF:-}" ]; then mount --bind "$TEST_NSSWITCH_CONF" /etc/nsswitch.conf; fi
uid=$RUN_UID gid=$RUN_GID
unset TEST_RESOLV_CONF TEST_NSSWITCH_CONF RUN_UID RUN_GID
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
`;

export interface HandlerCall {
  readonly handler: 'scanFileHandler' | 'updateDefinitionsHandler';
  readonly event?: unknown;
}

export interface ProcessInfo {
  readonly pid: number;
  /** /proc/<pid>/exe: the file the kernel executed. */
  readonly exe: string;
  readonly cmdline: string[];
  /** Files mapped into the process (its program and every shared object it loaded). */
  readonly mapped: string[];
}

export interface BundleRun {
  readonly exports: string[];
  readonly results: Array<
    { ok: true; value: Record<string, unknown> } | { ok: false; error: { name: string; message: string } }
  >;
  /** Programs the handlers started: file and arguments. */
  readonly started: Array<{ file: string; args: string[] }>;
  /** ClamAV daemons left running by the handlers when the calls were done. */
  readonly daemons: ProcessInfo[];
  readonly output: string;
}

export interface InvokeOptions {
  /** The unpacked zip. */
  readonly bundleDir: string;
  /** Written by the unprivileged user: call list, result, scratch files. */
  readonly scratchDir: string;
  readonly calls: readonly HandlerCall[];
  /** The whole environment of the Lambda process (nothing is inherited from the test). */
  readonly env: Record<string, string>;
  readonly resolvConf?: string;
  readonly nsswitchConf?: string;
}

/** Calls the bundle's handlers in one Node process, as one warm Lambda instance would. */
export async function invokeBundle(options: InvokeOptions): Promise<BundleRun> {
  const callsFile = path.join(options.scratchDir, 'calls.json');
  const resultFile = path.join(options.scratchDir, 'result.json');
  // The unprivileged process may not be able to enter the checkout (a clone in a 0700
  // directory): everything it reads besides the bundle is copied into its scratch directory.
  const invokeScript = path.join(options.scratchDir, path.basename(INVOKE_SCRIPT));
  await copyFile(INVOKE_SCRIPT, invokeScript);
  await writeFile(callsFile, JSON.stringify(options.calls));
  const namespaceEnv: Record<string, string> = {
    ...options.env,
    RUN_UID: String(RUN_AS.uid),
    RUN_GID: String(RUN_AS.gid),
    ...(options.resolvConf ? { TEST_RESOLV_CONF: options.resolvConf } : {}),
    ...(options.nsswitchConf ? { TEST_NSSWITCH_CONF: options.nsswitchConf } : {}),
  };
  const result = await run(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'bash',
      '--norc',
      '--noprofile',
      '-euc',
      NAMESPACE_SETUP,
      'namespace-setup',
      process.execPath,
      invokeScript,
      path.join(options.bundleDir, 'index.js'),
      callsFile,
      resultFile,
    ],
    { env: namespaceEnv, timeoutMs: 5 * 60_000, cwd: options.scratchDir },
  );
  const output = `${result.stdout}${result.stderr}`;
  if (result.code !== 0) throw new Error(`the bundle's process exited ${result.code}:\n${output}`);
  return { ...(JSON.parse(await readFile(resultFile, 'utf8')) as Omit<BundleRun, 'output'>), output };
}
