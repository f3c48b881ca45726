import { exportedEnvironment, type RunningCli, spawnCli } from './cli';

/** `lambda-av serve` running as users run it, with the environment it printed. */
export interface Served {
  readonly cli: RunningCli;
  /** The `export NAME=value` lines it printed. */
  readonly env: Record<string, string>;
  /** Ctrl-C, then its exit code. */
  stop(): Promise<number>;
}

export async function startServe(args: readonly string[], env: Record<string, string> = {}): Promise<Served> {
  const cli = spawnCli(['serve', '--port', '0', ...args], env);
  const stdout = await cli.waitForOutput(/^export LAMBDA_AV_BUCKET=.*$/m, 90_000);
  return {
    cli,
    env: exportedEnvironment(stdout),
    async stop() {
      if (cli.child.exitCode === null) cli.child.kill('SIGINT');
      return cli.exited;
    },
  };
}

/** Polls until `check` returns something other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
