'use strict';
// Runs inside the test's mount namespace, where the system's ClamAV is hidden: loads an unpacked
// lambda.zip's index.js as the Lambda runtime does, calls its handlers in order, and reports what
// they returned, which programs they started and what the ClamAV daemons they left running are.
//
//   node invoke-bundle.cjs <index.js> <calls.json> <result.json>
//   calls.json: [{ "handler": "scanFileHandler", "event": { ... } }, ...]
const childProcess = require('node:child_process');
const fs = require('node:fs');

const [bundlePath, callsPath, resultPath] = process.argv.slice(2);
const calls = JSON.parse(fs.readFileSync(callsPath, 'utf8'));

// Every program the handlers start, as they start it (the bundle calls these at call time).
const started = [];
for (const name of ['spawn', 'execFile']) {
  const original = childProcess[name];
  childProcess[name] = function record(file, args, ...rest) {
    started.push({ file, args: Array.isArray(args) ? args : [] });
    return original.call(this, file, args, ...rest);
  };
}

const handlers = require(bundlePath);

function parentOf(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function children() {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return parentOf(pid) === process.pid;
      } catch {
        return false; // exited meanwhile
      }
    });
}

function describeProcess(pid) {
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
  const mapped = new Set();
  for (const line of maps.split('\n')) {
    const file = line.split(/\s+/)[5];
    if (file?.startsWith('/')) mapped.add(file);
  }
  return {
    pid,
    exe: fs.readlinkSync(`/proc/${pid}/exe`),
    cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean),
    mapped: [...mapped].sort(),
  };
}

async function stop(pid) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i += 1) {
    try {
      if (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')) return;
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.kill(pid, 'SIGKILL');
}

async function main() {
  const results = [];
  for (const call of calls) {
    try {
      results.push({ ok: true, value: await handlers[call.handler](call.event) });
    } catch (error) {
      results.push({ ok: false, error: { name: error.name, message: error.message } });
    }
  }
  const daemons = children().map(describeProcess);
  fs.writeFileSync(
    resultPath,
    JSON.stringify({ exports: Object.keys(handlers).sort(), results, started, daemons }, null, 2),
  );
  // The warm daemon would keep this process alive, as it keeps a Lambda instance warm.
  await Promise.all(daemons.map((daemon) => stop(daemon.pid)));
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
