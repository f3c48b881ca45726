import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CliSettings } from '../config';
import { isDatabaseFile } from '../definitions/database-files';
import { writeTestSignatures } from '../local-scan/test-signatures';
import { UsageError } from './usage';

export interface DefinitionsSource {
  readonly dir: string;
  readonly description: string;
  /** Generated test signatures: they detect test files only. */
  readonly testOnly: boolean;
  release(): Promise<void>;
}

/** Where a local scan takes its definitions from, in the documented order. */
export async function chooseDefinitions(
  options: { readonly definitions?: string; readonly testSignatures: boolean },
  settings: CliSettings,
): Promise<DefinitionsSource> {
  const none = async () => {};
  if (options.testSignatures) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-test-signatures-'));
    await writeTestSignatures(dir);
    return {
      dir,
      description: 'generated test signatures',
      testOnly: true,
      release: () => rm(dir, { recursive: true, force: true }),
    };
  }
  if (options.definitions !== undefined) {
    if (!existsSync(options.definitions))
      throw new UsageError(`--definitions: no such directory: ${options.definitions}`);
    if (!(await holdsDatabases(options.definitions))) {
      throw new UsageError(`--definitions: ${options.definitions} holds no ClamAV database files`);
    }
    return { dir: options.definitions, description: options.definitions, testOnly: false, release: none };
  }
  if (await holdsDatabases(settings.systemDatabaseDir)) {
    return {
      dir: settings.systemDatabaseDir,
      description: settings.systemDatabaseDir,
      testOnly: false,
      release: none,
    };
  }
  const cached = cachedDefinitionsDir(settings);
  if (await holdsDatabases(cached)) {
    return { dir: cached, description: `${cached} (from lambda-av update)`, testOnly: false, release: none };
  }
  throw new UsageError(
    [
      'no ClamAV definitions found. Get them in one of these ways:',
      "  lambda-av update                  fetch them from ClamAV's mirror (or CLAMAV_MIRROR_URL) into the cache",
      '  --definitions DIR                 use database files you have (main.cvd, daily.cvd, *.ndb, ...)',
      `  fill ${settings.systemDatabaseDir}         e.g. with the system's freshclam`,
      '  --test-signatures                 try it out with test signatures (detect test files only)',
    ].join('\n'),
  );
}

/** The active set that `lambda-av update` keeps in the cache. */
export function cachedDefinitionsDir(settings: CliSettings): string {
  return path.join(settings.cacheDir, 'local', 'current');
}

async function holdsDatabases(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some(isDatabaseFile);
  } catch {
    return false;
  }
}
