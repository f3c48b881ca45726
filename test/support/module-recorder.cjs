// Preloaded into the `lambda-av` command by a test (`node -r module-recorder.cjs`): writes the
// files of every CommonJS module the process loaded to $LOADED_MODULES_FILE when it exits.
'use strict';
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache)));
});
