/**
 * Builds the npm package and packs it: `npm run package` writes build/lambda-av-<version>.tgz,
 * which `npm publish` takes as it is (docs/package.md).
 *
 *   npm run package -- [--zip-x86_64 FILE] [--zip-arm64 FILE] [--out DIR]
 *   npm run docs:api        (docs/API.md from the TSDoc, through the same jsii compile)
 *
 * The package is assembled in build/package/ (nothing is written elsewhere in the checkout):
 * - infra/ and src/ compiled by jsii, JavaScript and type declarations beside where the sources
 *   were: the construct library (infra/index.ts, checked by jsii and described in .jsii for
 *   jsii-pacmak), the client API (src/client/index.ts), the command (src/cli/main.ts) and the
 *   template app (infra/template-app.ts);
 * - statemachine/*.asl.json, read by the construct at synth time and by `lambda-av serve`;
 * - bin/lambda-av.js, which runs src/cli/main.js when it finds no build script beside it;
 * - lambda/x86_64/lambda.zip and lambda/arm64/lambda.zip, the functions' code as build_lambda.sh
 *   built it, so that a CDK app needs no build, no Debian and no container engine.
 *
 * jsii compiles with a package.json that declares no `dependencies`: jsii wants every dependency
 * to be a jsii module, and the construct library needs none (its imports are aws-cdk-lib,
 * constructs and node: built-ins, checked below). The published package.json then adds the
 * dependencies of the command and the client API, which other languages never load.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const STAGE = path.join(REPO, 'build', 'package');
const BIN = path.join(REPO, 'node_modules', '.bin');

/** The package's name on npm (checked free: `npm view lambda-av` answered 404). */
export const PACKAGE_NAME = 'lambda-av';
/** The entry points jsii compiles; everything they import comes along. */
const ENTRY_POINTS = ['infra/index.ts', 'infra/template-app.ts', 'src/client/index.ts', 'src/cli/main.ts'];
/** Runtime dependencies of the construct library: peers, as every CDK construct library has them. */
const PEERS = ['aws-cdk-lib', 'constructs'];
/** Each architecture's zip: what identifies it inside (the dynamic loader build_lambda.sh ships). */
const ARCHITECTURES = {
  x86_64: { loader: 'clamav/lib/ld-linux-x86-64.so.2', fallback: 'lambda.zip', env: 'LAMBDA_ZIP' },
  arm64: {
    loader: 'clamav/lib/ld-linux-aarch64.so.1',
    fallback: 'lambda-arm64.zip',
    env: 'LAMBDA_ARM64_ZIP',
  },
} as const;
type Architecture = keyof typeof ARCHITECTURES;

interface Options {
  readonly zips: Record<Architecture, string>;
  readonly out: string;
}

interface RootPackage {
  readonly version: string;
  readonly description: string;
  readonly license: string;
  readonly author: unknown;
  readonly repository: unknown;
  readonly homepage?: string;
  readonly keywords?: string[];
  readonly engines: Record<string, string>;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}

export interface PackResult {
  readonly tarball: string;
  /** Bytes of the .tgz. */
  readonly size: number;
  /** Bytes of its files unpacked. */
  readonly unpackedSize: number;
  readonly entryCount: number;
}

export function buildPackage(options: Options): PackResult {
  for (const [arch, zip] of Object.entries(options.zips) as Array<[Architecture, string]>)
    checkZip(arch, zip);
  const manifest = compileLibrary();

  step('checking what the compiled code requires');
  checkRequires(manifest);
  writeJson(path.join(STAGE, 'package.json'), manifest);

  for (const [arch, zip] of Object.entries(options.zips) as Array<[Architecture, string]>) {
    mkdirSync(path.join(STAGE, 'lambda', arch), { recursive: true });
    copyFileSync(zip, path.join(STAGE, 'lambda', arch, 'lambda.zip'));
  }

  step(`npm pack into ${path.relative(REPO, options.out) || '.'}`);
  mkdirSync(options.out, { recursive: true });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', options.out], {
      cwd: STAGE,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number }>;
  const [result] = packed;
  if (!result) throw new Error('npm pack reported no tarball');
  return {
    tarball: path.join(options.out, result.filename),
    size: result.size,
    unpackedSize: result.unpackedSize,
    entryCount: result.entryCount,
  };
}

/**
 * Stages the sources in build/package and compiles them with jsii; checks that every prop of the
 * API has a description and every optional one a default, and writes build/package/API.md with
 * jsii-docgen. Returns the published package.json (not yet written: jsii sees one without
 * dependencies).
 */
export function compileLibrary(): PublishedManifest {
  const root = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as RootPackage;
  step('staging sources in build/package');
  rmSync(STAGE, { recursive: true, force: true });
  mkdirSync(STAGE, { recursive: true });
  for (const dir of ['infra', 'src', 'statemachine'])
    cpSync(path.join(REPO, dir), path.join(STAGE, dir), { recursive: true });
  mkdirSync(path.join(STAGE, 'bin'));
  copyFileSync(path.join(REPO, 'bin', 'lambda-av.js'), path.join(STAGE, 'bin', 'lambda-av.js'));
  for (const file of ['README.md', 'CHANGELOG.md', 'LICENSE'])
    copyFileSync(path.join(REPO, file), path.join(STAGE, file));

  step('compiling with jsii');
  const manifest = packageJson(root);
  const { dependencies: _runtime, ...forJsii } = manifest;
  writeJson(path.join(STAGE, 'package.json'), forJsii);
  writeJson(path.join(STAGE, 'tsconfig.jsii.json'), jsiiTsconfig());
  const jsii = spawnSync(path.join(BIN, 'jsii'), ['--silence-warnings=reserved-word'], {
    cwd: STAGE,
    stdio: 'inherit',
    env: {
      ...process.env,
      JSII_SUPPRESS_UPGRADE_PROMPT: '1',
      JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1',
    },
  });
  if (jsii.status !== 0) throw new Error(`jsii failed (exit ${jsii.status ?? jsii.signal})`);

  checkPropDocs();
  step('API reference (jsii-docgen)');
  // jsii-docgen looks for the dependencies' assemblies under the package's own node_modules.
  const modules = path.join(STAGE, 'node_modules');
  symlinkSync(path.join(REPO, 'node_modules'), modules, 'dir');
  try {
    execFileSync(path.join(BIN, 'jsii-docgen'), ['--output', API_REFERENCE], {
      cwd: STAGE,
      stdio: 'inherit',
    });
  } finally {
    rmSync(modules);
  }
  return manifest;
}

/** The API reference jsii-docgen writes from the TSDoc; docs/API.md is a copy (`npm run docs:api`). */
export const API_REFERENCE = path.join(STAGE, 'API.md');

interface AssemblyProperty {
  readonly name: string;
  readonly optional?: boolean;
  readonly docs?: { readonly summary?: string; readonly default?: string };
}

/** Every prop of every struct of the API says what it is, and each optional one its default. */
function checkPropDocs(): void {
  const assembly = JSON.parse(readFileSync(path.join(STAGE, '.jsii'), 'utf8')) as {
    types: Record<string, { kind: string; datatype?: boolean; properties?: AssemblyProperty[] }>;
  };
  const missing = Object.entries(assembly.types).flatMap(([fqn, type]) =>
    type.kind === 'interface' && type.datatype
      ? (type.properties ?? []).flatMap((prop) => [
          ...(prop.docs?.summary ? [] : [`${fqn}.${prop.name} has no description`]),
          ...(prop.optional && prop.docs?.default === undefined
            ? [`${fqn}.${prop.name} has no @default`]
            : []),
        ])
      : [],
  );
  if (missing.length > 0) throw new Error(`props without docs:\n${missing.join('\n')}`);
}

type PublishedManifest = ReturnType<typeof packageJson>;

/** The published package.json: the repository's name for it, versions and metadata from the root one. */
function packageJson(root: RootPackage) {
  return {
    name: PACKAGE_NAME,
    version: root.version,
    description: root.description,
    license: root.license,
    author: root.author,
    repository: root.repository,
    ...(root.homepage ? { homepage: root.homepage } : {}),
    keywords: ['aws-cdk', 'cdk-construct', 'clamav', 'antivirus', 's3', 'lambda', 'step-functions'],
    engines: root.engines,
    main: 'infra/index.js',
    types: 'infra/index.d.ts',
    exports: {
      '.': { types: './infra/index.d.ts', default: './infra/index.js' },
      './client': { types: './src/client/index.d.ts', default: './src/client/index.js' },
      './package.json': './package.json',
      './.jsii': './.jsii',
    },
    bin: { 'lambda-av': 'bin/lambda-av.js' },
    files: [
      'infra/**/*.js',
      'infra/**/*.d.ts',
      'src/**/*.js',
      'src/**/*.d.ts',
      'statemachine/*.asl.json',
      'bin/lambda-av.js',
      'lambda/*/lambda.zip',
      '.jsii',
      'CHANGELOG.md',
    ],
    peerDependencies: Object.fromEntries(PEERS.map((name) => [name, `^${minimumOf(root, name)}`])),
    // jsii wants each peer in devDependencies at its lowest version (the one the library is built against).
    devDependencies: Object.fromEntries(PEERS.map((name) => [name, minimumOf(root, name)])),
    dependencies: runtimeDependencies(root),
    stability: 'stable',
    jsii: {
      outdir: 'dist',
      tsconfig: 'tsconfig.jsii.json',
      // Our own strict options (noUncheckedIndexedAccess, exactOptionalPropertyTypes off) are not on
      // jsii's "strict" list of user options; "minimal" still refuses the options jsii cannot use.
      validateTsconfig: 'minimal',
      targets: {
        python: { distName: 'lambda-av', module: 'lambda_av' },
      },
    },
  };
}

/** The version the repository builds with, e.g. `^2.276.0` -> `2.276.0`. */
function minimumOf(root: RootPackage, name: string): string {
  const range = root.devDependencies[name];
  if (!range) throw new Error(`package.json has no devDependency ${name}`);
  return range.replace(/^[\^~]/, '');
}

/**
 * What the command and the client API load at run time: the root package's dependencies, less
 * what only the repository's scripts use (tsx runs them; nothing under src/ needs it).
 */
function runtimeDependencies(root: RootPackage): Record<string, string> {
  const { tsx: _scripts, ...runtime } = root.dependencies;
  return runtime;
}

function jsiiTsconfig() {
  return {
    compilerOptions: {
      target: 'ES2022',
      module: 'commonjs',
      lib: ['es2023'],
      types: ['node'],
      declaration: true,
      noEmitOnError: true,
      skipLibCheck: true,
      strict: true,
      noUncheckedIndexedAccess: true,
      noImplicitReturns: true,
      noFallthroughCasesInSwitch: true,
      esModuleInterop: true,
      resolveJsonModule: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
    include: ENTRY_POINTS,
  };
}

/**
 * Every bare `require()` in the compiled code names a node: built-in, a peer or a dependency, and
 * the construct library's own files (loaded by other languages, without dependencies) need nothing
 * but peers and built-ins.
 */
function checkRequires(manifest: { dependencies: Record<string, string> }): void {
  const declared = new Set([...PEERS, ...Object.keys(manifest.dependencies)]);
  const builtins = new Set(builtinModules);
  const problems: string[] = [];
  for (const file of jsFiles(STAGE)) {
    const code = readFileSync(file, 'utf8');
    for (const match of code.matchAll(/require\("([^".][^"]*)"\)/g)) {
      const specifier = match[1] ?? '';
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : (specifier.split('/')[0] ?? '');
      if (specifier.startsWith('node:') || builtins.has(name)) continue;
      if (!declared.has(name))
        problems.push(`${path.relative(STAGE, file)} requires ${specifier}, not declared`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const library = constructLibraryFiles();
  for (const file of library) {
    const code = readFileSync(path.join(STAGE, file), 'utf8');
    for (const match of code.matchAll(/require\("([^".][^"]*)"\)/g)) {
      const specifier = match[1] ?? '';
      const name = specifier.split('/')[0] ?? '';
      if (!specifier.startsWith('node:') && !builtins.has(name) && !PEERS.includes(name)) {
        problems.push(`${file} (construct library) requires ${specifier}: other languages could not load it`);
      }
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/** The compiled files infra/index.js loads, following relative requires. */
function constructLibraryFiles(): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(path.join(STAGE, file), 'utf8');
    for (const match of code.matchAll(/require\("(\.[^"]*)"\)/g)) {
      const target = path.join(path.dirname(file), match[1] ?? '');
      visit(existsSync(path.join(STAGE, `${target}.js`)) ? `${target}.js` : path.join(target, 'index.js'));
    }
  };
  visit('infra/index.js');
  return [...seen];
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.includes(`${path.sep}node_modules${path.sep}`));
}

/** A zip built by build_lambda.sh for `arch`: it holds index.js and that architecture's loader. */
function checkZip(arch: Architecture, zip: string): void {
  if (!existsSync(zip)) {
    throw new Error(
      `no lambda.zip for ${arch} at ${zip}: build it with ./build_lambda.sh --arch ${arch} --out ${zip} (docs/lambda-zip.md)`,
    );
  }
  const entries = new Set(execFileSync('zipinfo', ['-1', zip], { encoding: 'utf8' }).split('\n'));
  for (const entry of ['index.js', ARCHITECTURES[arch].loader]) {
    if (!entries.has(entry))
      throw new Error(`${zip} has no ${entry}: it is not build_lambda.sh's zip for ${arch}`);
  }
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function step(message: string): void {
  process.stderr.write(`==> ${message}\n`);
}

function parseArgs(argv: readonly string[]): Options {
  const zips: Record<Architecture, string> = {
    x86_64: process.env[ARCHITECTURES.x86_64.env] ?? path.join(REPO, ARCHITECTURES.x86_64.fallback),
    arm64: process.env[ARCHITECTURES.arm64.env] ?? path.join(REPO, ARCHITECTURES.arm64.fallback),
  };
  let out = path.join(REPO, 'build');
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--zip-x86_64') zips.x86_64 = path.resolve(value);
    else if (flag === '--zip-arm64') zips.arm64 = path.resolve(value);
    else if (flag === '--out') out = path.resolve(value);
    else throw new Error(`unknown option ${flag} (--zip-x86_64 FILE, --zip-arm64 FILE, --out DIR)`);
  }
  return { zips, out };
}

if (require.main === module) {
  try {
    if (process.argv[2] === 'api-docs') {
      compileLibrary();
      copyFileSync(API_REFERENCE, path.join(REPO, 'docs', 'API.md'));
      console.log('docs/API.md written');
      process.exit(0);
    }
    const result = buildPackage(parseArgs(process.argv.slice(2)));
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `${result.tarball}: ${mb(result.size)} packed, ${mb(result.unpackedSize)} unpacked, ${result.entryCount} files`,
    );
  } catch (error) {
    process.stderr.write(`package: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
