import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Every program that src/, test/, bench/ and build_lambda.sh run must come from a Debian package
// that scripts/setup.sh installs (or one of its dependencies), or from a package every Debian
// system has (Essential, or Priority required). A program added without its package fails here,
// not on a newcomer's fresh machine.

const REPO = path.resolve(__dirname, '..', '..');
const SCANNED_DIRS = ['src', 'test', 'bench'];

/** Programs started from shell text inside the code, which the call patterns below cannot see. */
const SHELL_PROGRAMS: Readonly<Record<string, readonly string[]>> = {
  // NAMESPACE_SETUP, run with `unshare ... bash -c`.
  'test/build/bundle.ts': ['bash', 'mount', 'setpriv'],
};

/** The machine's Node.js is the one prerequisite the README names; it is not installed by setup. */
const PREREQUISITES = new Set(['node', 'npm', 'npx']);

/**
 * `spawn('prog', ...)`, `execFile('prog', ...)`, `run('prog', ...)`, `resolveTool('prog', ...)`, also
 * with a system directory (`execFile('/usr/bin/aws', ...)`, where another `aws` may come first on PATH),
 * and calls through a constant holding such a path (`const AWS = '/usr/bin/aws'`).
 */
const CALL =
  /\b(?:spawn|spawnSync|execFile|execFileSync|run|resolveTool)\(\s*'(?:\/usr\/s?bin\/)?([^'\s/]+)'/g;
const PROGRAM_CONSTANT = /^const [A-Z_]+ = '\/usr\/s?bin\/([^'\s/]+)';$/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js|cjs|mjs)$/.test(entry.name))
    .map((entry) => path.relative(REPO, path.join(entry.parentPath, entry.name)));
}

/** Program -> the files that run it. */
function programsRun(): Map<string, string[]> {
  const programs = new Map<string, string[]>();
  const add = (program: string, file: string) => {
    if (PREREQUISITES.has(program)) return;
    programs.set(program, [...new Set([...(programs.get(program) ?? []), file])]);
  };
  for (const file of SCANNED_DIRS.flatMap(sourceFiles)) {
    if (file === path.relative(REPO, __filename)) continue;
    const text = readFileSync(path.join(REPO, file), 'utf8');
    for (const match of [...text.matchAll(CALL), ...text.matchAll(PROGRAM_CONSTANT)]) {
      add(match[1] as string, file);
    }
  }
  for (const [file, names] of Object.entries(SHELL_PROGRAMS)) {
    const text = readFileSync(path.join(REPO, file), 'utf8');
    for (const name of names) {
      expect({ file, name, mentioned: new RegExp(`\\b${name}\\b`).test(text) }).toEqual({
        file,
        name,
        mentioned: true,
      });
      add(name, file);
    }
  }
  // build_lambda.sh checks its own requirements up front: `for command in ...; do command -v`.
  const build = readFileSync(path.join(REPO, 'build_lambda.sh'), 'utf8');
  const required = /^for command in ([^;]+); do\s*\n\s*command -v/m.exec(build)?.[1];
  expect(required).toBeDefined();
  for (const name of (required ?? '').trim().split(/\s+/)) add(name, 'build_lambda.sh');
  return programs;
}

/** The packages in `packages=(...)` of scripts/setup.sh. */
function setupPackages(): string[] {
  const script = readFileSync(path.join(REPO, 'scripts', 'setup.sh'), 'utf8');
  const list = /^packages=\(([^)]*)\)/m.exec(script)?.[1];
  if (list === undefined) throw new Error('scripts/setup.sh has no packages=(...) line');
  return list.trim().split(/\s+/);
}

function query(file: string, args: readonly string[]): Promise<string> {
  // dpkg-query exits 1 when some pattern matches nothing; what it found is still on stdout.
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 64 * 2 ** 20 }, (_error, stdout) => resolve(stdout));
  });
}

interface InstalledPackage {
  readonly base: boolean;
  readonly depends: string[];
}

/** The programs scripts/setup.sh installs with pip where they are missing (`pip_programs=(program=package ...)`). */
function pipPrograms(): Map<string, string> {
  const script = readFileSync(path.join(REPO, 'scripts', 'setup.sh'), 'utf8');
  const list = /^pip_programs=\(([^)]*)\)/m.exec(script)?.[1];
  if (list === undefined) throw new Error('scripts/setup.sh has no pip_programs=(...) line');
  return new Map(
    list
      .trim()
      .split(/\s+/)
      .map((entry) => entry.split('=', 2) as [string, string]),
  );
}

/** Installed packages: whether every Debian system has them, and what they depend on. */
async function installedPackages(): Promise<Map<string, InstalledPackage>> {
  const format =
    '${Package}\\t${db:Status-Abbrev}\\t${Essential}\\t${Priority}\\t${Pre-Depends}, ${Depends}\\t${Provides}\\n';
  const packages = new Map<string, InstalledPackage>();
  const provided: Array<[string, string]> = [];
  for (const line of (await query('dpkg-query', ['-W', `-f=${format}`])).split('\n')) {
    const [name, status, essential, priority, depends, provides] = line.split('\t');
    if (!name || !status?.startsWith('ii')) continue;
    const names = (list: string | undefined) =>
      (list ?? '')
        .split(/[,|]/)
        .map((item) => item.trim().split(/[\s(:]/)[0] as string)
        .filter((item) => item !== '');
    packages.set(name, { base: essential === 'yes' || priority === 'required', depends: names(depends) });
    for (const virtual of names(provides)) provided.push([virtual, name]);
  }
  // A dependency on a virtual package is met by the installed packages that provide it.
  for (const [virtual, provider] of provided) {
    const entry = packages.get(virtual) ?? { base: false, depends: [] };
    packages.set(virtual, { ...entry, depends: [...entry.depends, provider] });
  }
  return packages;
}

/** The packages named and everything they depend on, as installed. */
function closure(roots: readonly string[], packages: Map<string, InstalledPackage>): Set<string> {
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    pending.push(...(packages.get(name)?.depends ?? []));
  }
  return seen;
}

async function owners(program: string): Promise<string[]> {
  const paths = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].map((dir) => `${dir}/${program}`);
  const output = await query('dpkg-query', ['-S', ...paths]);
  return [...new Set(output.split('\n').flatMap((line) => line.split(': ')[0]?.split(', ') ?? []))].filter(
    (name) => name !== '',
  );
}

test('the code runs the ClamAV tools, the test helpers and the build tools it is known to', () => {
  const programs = [...programsRun().keys()];

  expect(programs).toEqual(
    expect.arrayContaining([
      'clamd',
      'clamscan',
      'clamdscan',
      'freshclam',
      'python3',
      'openssl',
      'zip',
      'unzip',
      'readelf',
      'mount',
      'aws',
      'chromium',
      'cfn-lint',
    ]),
  );
});

test('the judges from PyPI that the tests run are the ones scripts/setup.sh installs where missing', () => {
  const fromPip = pipPrograms();
  const run = [...programsRun().keys()].filter((program) => fromPip.has(program));

  expect(run.sort()).toEqual([...fromPip.keys()].sort());
  expect(Object.fromEntries(fromPip)).toEqual({ moto_server: 'moto[server]', 'cfn-lint': 'cfn-lint' });
});

test('every program the code runs comes from a package scripts/setup.sh installs or every Debian system has', async () => {
  const packages = await installedPackages();
  const base = [...packages].filter(([, info]) => info.base).map(([name]) => name);
  const covered = closure([...setupPackages(), ...base], packages);

  const problems: string[] = [];
  const fromPip = pipPrograms();
  for (const [program, files] of programsRun()) {
    if (fromPip.has(program)) continue;
    const owning = await owners(program);
    const where = `${program} (run by ${files.join(', ')})`;
    if (owning.length === 0) {
      problems.push(`${where}: no installed Debian package provides it; add its package to scripts/setup.sh`);
    } else if (!owning.some((name) => covered.has(name))) {
      problems.push(
        `${where}: comes from ${owning.join(' or ')}, which scripts/setup.sh does not install; add it to packages=(...)`,
      );
    }
  }

  expect(problems).toEqual([]);
});
