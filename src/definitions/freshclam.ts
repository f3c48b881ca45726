import { spawn } from 'node:child_process';
import os from 'node:os';
import { resolveTool, toolEnvironment } from '../clamd/binaries';
import type { UpdaterConfig } from '../config';
import { OFFICIAL_DATABASES, type OfficialDatabase } from '../settings';

export const OFFICIAL_MIRROR = 'database.clamav.net';

export interface FreshclamRun {
  readonly binDir: string | undefined;
  readonly databaseDir: string;
  readonly configFile: string;
  readonly timeoutMs: number;
}

export interface FreshclamOutcome {
  readonly exitCode: number | null;
  readonly output: string;
  /** The mirror refused us (HTTP 429 or 403): nothing may be fetched before `coolDownUntil`. */
  readonly rateLimited: boolean;
  readonly coolDownUntil?: Date;
}

/**
 * freshclam's configuration. Values come from validated settings (URLs without white space), so
 * no setting can inject a line of its own.
 */
export function renderFreshclamConf(settings: UpdaterConfig, databaseDir: string): string {
  const lines = [
    `DatabaseDirectory ${databaseDir}`,
    // freshclam drops to this user when started as root; in Lambda it runs as the function's user.
    `DatabaseOwner ${os.userInfo().username}`,
    'LogTime yes',
    'Foreground yes',
    'TestDatabases yes',
    'Bytecode yes',
  ];
  if (settings.mirrorUrl) {
    // A private mirror: no DNS lookup of ClamAV's current versions, plain or TLS HTTP as given.
    lines.push(`PrivateMirror ${settings.mirrorUrl}`, 'DNSDatabaseInfo no');
  } else {
    lines.push(`DatabaseMirror ${OFFICIAL_MIRROR}`);
  }
  for (const name of OFFICIAL_DATABASES) {
    if (!settings.officialDatabases.includes(name as OfficialDatabase)) lines.push(`ExcludeDatabase ${name}`);
  }
  for (const url of settings.customDatabaseUrls) lines.push(`DatabaseCustomURL ${url}`);
  return `${lines.join('\n')}\n`;
}

/** Runs freshclam once (argument array, no shell) and reads what it says about rate limits. */
export function runFreshclam(run: FreshclamRun): Promise<FreshclamOutcome> {
  const tool = resolveTool('freshclam', run.binDir);
  const args = [...tool.args, `--config-file=${run.configFile}`, `--datadir=${run.databaseDir}`, '--stdout'];
  return new Promise((resolve, reject) => {
    const child = spawn(tool.file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnvironment(tool) });
    let output = '';
    const collect = (data: Buffer) => {
      output += data.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`freshclam could not be started from ${tool.file}: ${error.message}`));
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (signal) output += `\nfreshclam was stopped by ${signal} after ${run.timeoutMs} ms`;
      resolve({ exitCode, output, ...readRateLimit(output) });
    });
  });
}

/**
 * freshclam reports a 429 or 403 from a mirror with "received error code 429" and records a
 * cool-down in freshclam.dat ("You are on cool-down until after: 2026-11-25 03:22:55", local
 * time); later runs say "still on cool-down".
 */
export function readRateLimit(output: string): { rateLimited: boolean; coolDownUntil?: Date } {
  const limited = /error code (429|403)|error code 429 or 403|on cool-down/.test(output);
  const until = /cool-down until after: (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)/.exec(output);
  if (!until) return { rateLimited: limited };
  const [, y, mo, d, h, mi, s] = until.map(Number) as number[];
  return { rateLimited: true, coolDownUntil: new Date(y ?? 0, (mo ?? 1) - 1, d, h, mi, s) };
}
