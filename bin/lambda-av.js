#!/usr/bin/env node
// The `lambda-av` command. The TypeScript sources run through tsx's loader, so nothing has to be
// compiled first.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// The AWS SDK warns on every start under Node.js 20 that future versions need 22; Lambda runs 22.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!String(warning.message).includes('NodeVersionSupportWarning'))
    process.stderr.write(`${warning.stack}\n`);
});
require('tsx/cjs');
const { main } = require('../src/cli/main.ts');

main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
