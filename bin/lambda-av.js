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

const { getEventListeners } = require('node:events');
const { constants } = require('node:os');
const { main, argumentBytes } = require(checkout ? '../dist/cli/main.js' : '../src/cli/main.js');

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

// Output whose reader has gone (`lambda-av scan DIR | head`): Node ignores SIGPIPE and reports
// EPIPE instead. The command ends as a broken pipe ends other commands, with 141 (128 + SIGPIPE),
// but cleanly: as after Ctrl-C, clamd is stopped and its work area removed. Nothing more is
// written, and nothing waits for the output to drain.
let outputClosed = false;
process.stdout.on('error', (error) => {
  if (outputClosed) return;
  outputClosed = true;
  if (error.code !== 'EPIPE') process.stderr.write(`lambda-av: cannot write the output: ${error.message}\n`);
  interrupt('SIGPIPE');
});
// Errors and notes whose reader has gone cannot be told to anyone: they are dropped, not fatal.
process.stderr.on('error', () => {});
// Output waits for a slow reader (a pipe) instead of piling up in memory.
const drained = () =>
  outputClosed || !process.stdout.writableNeedDrain
    ? Promise.resolve()
    : new Promise((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('close', done);
          resolve();
        };
        process.stdout.on('drain', done);
        process.stdout.on('close', done);
      });

const args = process.argv.slice(2);
main(args, {
  out: (line) => {
    if (!outputClosed) process.stdout.write(`${line}\n`);
  },
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  argumentBytes: argumentBytes(args),
  signal: controller.signal,
  drained,
}).then((code) => {
  process.exitCode = controller.signal.aborted ? process.exitCode : code;
});
