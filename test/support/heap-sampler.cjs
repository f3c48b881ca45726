// Preloaded into the `lambda-av` command by a test (`node --expose-gc -r heap-sampler.cjs`):
// every 250 ms it collects garbage and records the live heap, then writes the samples, in MB,
// to $HEAP_SAMPLES_FILE when the process exits.
'use strict';
const { writeFileSync } = require('node:fs');

const samples = [];
const timer = setInterval(() => {
  global.gc();
  samples.push(process.memoryUsage().heapUsed / 2 ** 20);
}, 250);
timer.unref();
process.on('exit', () => {
  writeFileSync(process.env.HEAP_SAMPLES_FILE, JSON.stringify(samples));
});
