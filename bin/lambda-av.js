#!/usr/bin/env node
// The `lambda-av` command. In a checkout of the repository it runs the JavaScript that
// scripts/build-cli.js compiled from src/ into dist/ (scripts/setup.sh builds it), so no
// TypeScript is compiled at start-up; when src/ changed since that build (a pull, an edit), it
// compiles it again first, which takes a fraction of a second, and without the compiler (esbuild,
// a dev dependency) it says how to build instead. In the installed package (scripts/package.ts)
// src/ holds the compiled JavaScript itself, and there is nothing to build.

const { existsSync } = require('node:fs');
const path = require('node:path');

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// The AWS SDK warns on every start under Node.js 20 that future versions need 22; Lambda runs 22.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!String(warning.message).includes('NodeVersionSupportWarning'))
    process.stderr.write(`${warning.stack}\n`);
});

const checkout = existsSync(path.join(__dirname, '..', 'scripts', 'build-cli.js'));
if (checkout) {
  const build = require('../scripts/build-cli.js');
  if (!build.isFresh()) {
    if (!build.canBuild()) {
      process.stderr.write(
        'lambda-av: the compiled command in dist/ is missing or older than src/, and esbuild (a dev\n' +
          'dependency) is not installed to compile it. Run `bash scripts/setup.sh` (or `npm ci` and\n' +
          '`npm run build:cli`) in the lambda-av-daemon directory.\n',
      );
      process.exit(2);
    }
    process.stderr.write('lambda-av: src/ changed since dist/ was built: compiling it again\n');
    try {
      build.build();
    } catch {
      // esbuild has printed what it could not compile.
      process.stderr.write('lambda-av: compiling src/ failed (see above)\n');
      process.exit(2);
    }
  }
}

const { getEventListeners, once } = require('node:events');
const { constants } = require('node:os');
const { main } = require(checkout ? '../dist/cli/main.js' : '../src/cli/main.js');

// Ctrl-C (or SIGTERM): a command that holds resources (clamd, servers, temporary files) listens
// on the signal and stops cleanly; any other command just ends. A second signal ends at once.
const controller = new AbortController();
const interrupt = (signal) => {
  const code = 128 + (constants.signals[signal] ?? 2);
  if (controller.signal.aborted || getEventListeners(controller.signal, 'abort').length === 0) {
    process.exit(code);
  }
  process.exitCode = code;
  controller.abort(signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, interrupt);

main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  signal: controller.signal,
  // Output waits for a slow reader (a pipe) instead of piling up in memory.
  drained: () => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain') : Promise.resolve()),
}).then((code) => {
  process.exitCode = controller.signal.aborted ? process.exitCode : code;
});
