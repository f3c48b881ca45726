#!/usr/bin/env node
// Compiles src/ into dist/ for the `lambda-av` command (bin/lambda-av.js), so the command starts
// without compiling TypeScript at run time. Each file is transpiled on its own (esbuild, no
// bundling): dist/ mirrors src/ file for file, so paths relative to a module (the state machines
// in statemachine/) stay the same, and a command module that is not needed is never loaded.
// Dependencies stay in node_modules and are required at run time.
//
// scripts/setup.sh runs it after `npm ci`; bin/lambda-av.js runs it again when src/ changed since
// (dist/.sources records what it was built from). Types are checked by `npm run lint`, not here.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const SRC = path.join(REPO, 'src');
const OUT = path.join(REPO, 'dist');
const STAMP = path.join(OUT, '.sources');

/** Every TypeScript source under src/, relative to it, in a stable order. */
function sourceFiles() {
  return fs
    .readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.relative(SRC, path.join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * What the build depends on: each source's name, size and modification time, and this script's.
 * Cheap enough to check on every start (a stat per file, no reading).
 */
function fingerprint(files = sourceFiles()) {
  const digest = crypto.createHash('sha256');
  for (const file of [...files.map((name) => path.join(SRC, name)), __filename]) {
    const info = fs.statSync(file);
    digest.update(`${path.relative(REPO, file)}\0${info.size}\0${info.mtimeMs}\n`);
  }
  return digest.digest('hex');
}

/** True when dist/ was built from the sources as they are now. */
function isFresh() {
  try {
    return fs.readFileSync(STAMP, 'utf8').trim() === fingerprint();
  } catch {
    return false;
  }
}

/** True when the compiler (a dev dependency) is installed, so `build` can run. */
function canBuild() {
  try {
    require.resolve('esbuild');
    return true;
  } catch {
    return false;
  }
}

/**
 * Transpiles every source into dist/. Each output is written to a temporary name and renamed, and
 * the stamp is written last: two commands rebuilding at once write identical files, and a command
 * starting meanwhile never loads a half-written one.
 */
function build() {
  const esbuild = require('esbuild');
  const files = sourceFiles();
  const stamp = fingerprint(files);
  const result = esbuild.buildSync({
    entryPoints: files.map((name) => path.join(SRC, name)),
    outdir: OUT,
    outbase: SRC,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // `await import('./module')` as CommonJS `require`, as tsc compiles it: Node's own import()
    // would resolve './module' as an ES module path, which needs the file extension.
    supported: { 'dynamic-import': false },
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'warning',
    write: false,
  });
  const written = new Set();
  for (const output of result.outputFiles) {
    fs.mkdirSync(path.dirname(output.path), { recursive: true });
    const partial = `${output.path}.${process.pid}.tmp`;
    fs.writeFileSync(partial, output.contents);
    fs.renameSync(partial, output.path);
    written.add(output.path);
  }
  // Outputs of sources that no longer exist would still be loadable: remove them (only where
  // this build writes, not what `tsc` may have put under dist/src, dist/test, ...).
  const ours = new Set(files.map((name) => (name.split(path.sep)[0] ?? '').replace(/\.ts$/, '.js')));
  for (const entry of fs.readdirSync(OUT, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const top = path.relative(OUT, file).split(path.sep)[0];
    if (entry.isFile() && file.endsWith('.js') && ours.has(top) && !written.has(file)) {
      fs.rmSync(file, { force: true });
    }
  }
  const partialStamp = `${STAMP}.${process.pid}.tmp`;
  fs.writeFileSync(partialStamp, `${stamp}\n`);
  fs.renameSync(partialStamp, STAMP);
  return result.outputFiles.length;
}

module.exports = { build, canBuild, fingerprint, isFresh, OUT };

if (require.main === module) {
  const started = Date.now();
  const count = build();
  console.log(`lambda-av: compiled ${count} files of src/ into dist/ in ${Date.now() - started} ms`);
}
