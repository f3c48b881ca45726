import childProcess from 'node:child_process';
import path from 'node:path';

/**
 * The fast tier (`npm test`) promises a developer it needs no ClamAV, no root, no browser and no
 * AWS stand-in written in another language. This guard keeps the promise checked: while a
 * fast-tier test file runs, starting one of those programs throws and names the tier to move the
 * test to. Restored after the file, as jest's workers also run integration files.
 */
const REFUSED = new Set([
  'clamd',
  'clamscan',
  'clamdscan',
  'freshclam',
  'sigtool',
  'chromium',
  'python3',
  'moto_server',
  'cfn-lint',
  'aws',
  'sudo',
  'setpriv',
  'unshare',
  'mount',
]);

type Spawning = 'spawn' | 'spawnSync' | 'execFile' | 'execFileSync' | 'exec' | 'execSync';
const GUARDED: readonly Spawning[] = ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync'];

function programOf(name: Spawning, command: unknown): string {
  const text = String(command);
  // exec and execSync take a shell command line: its first word is the program.
  const program = name === 'exec' || name === 'execSync' ? (text.trim().split(/\s+/)[0] ?? '') : text;
  return path.basename(program);
}

const originals = new Map<Spawning, unknown>();

beforeAll(() => {
  const target = childProcess as unknown as Record<Spawning, (...args: unknown[]) => unknown>;
  for (const name of GUARDED) {
    const original = target[name];
    originals.set(name, original);
    target[name] = (...args: unknown[]) => {
      const program = programOf(name, args[0]);
      if (REFUSED.has(program)) {
        throw new Error(
          `the fast tier does not run ${program}: move this test under test/integration/ (see jest.config.js)`,
        );
      }
      return original(...args);
    };
  }
});

afterAll(() => {
  const target = childProcess as unknown as Record<Spawning, unknown>;
  for (const [name, original] of originals) target[name] = original;
});
