import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { diesWithThisProcess } from '../../../src/clamd/parent-death';
import { makeOwnedDir, reclaimAbandonedDirs } from '../../../src/util/owned-dirs';
import { watchExit } from '../../support/process-exit';

let root: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-owned-dirs-test-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

/** A node process that runs `script` and reports on stdout; killed by the test's clean-up. */
async function startNode(
  script: string,
  args: readonly string[] = [],
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [data] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { child, line: data.toString('utf8').trim() };
}

const MAKE_OWNED_DIR = `
  require('tsx/cjs');
  const { makeOwnedDir } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/util/owned-dirs.ts'))});
  makeOwnedDir(process.argv[1], 'lambda-av-scan-').then((dir) => console.log(dir));
  setInterval(() => {}, 1 << 30);
`;
const IDLE = 'console.log("up"); setInterval(() => {}, 1 << 30);';

test('a directory whose owner was killed is removed, and the process still running from it with it', async () => {
  const owner = await startNode(MAKE_OWNED_DIR, [root]);
  const dir = owner.line;
  const orphan = await startNode(IDLE, [path.join(dir, 'clamd.conf')]);
  const orphanExit = await watchExit(orphan.child.pid as number);
  owner.child.kill('SIGKILL');
  await once(owner.child, 'exit');

  const removed = await reclaimAbandonedDirs(root, 'lambda-av-scan-');

  expect(removed).toEqual([dir]);
  expect(existsSync(dir)).toBe(false);
  await orphanExit.exited;
});

test('directories of a running owner, without an owner record, or of another prefix are left alone', async () => {
  const live = await makeOwnedDir(root, 'lambda-av-scan-');
  const foreign = path.join(root, 'lambda-av-scan-foreign');
  await mkdir(foreign);
  const owner = await startNode(MAKE_OWNED_DIR, [root]);
  const otherPrefix = path.join(root, 'other-');
  await mkdir(otherPrefix);

  expect(await reclaimAbandonedDirs(root, 'lambda-av-scan-')).toEqual([]);
  expect([live, foreign, owner.line, otherPrefix].map(existsSync)).toEqual([true, true, true, true]);
  expect((await readFile(path.join(live, '.lambda-av-owner'), 'utf8')).split(' ')[0]).toBe(
    String(process.pid),
  );
});

test("a pid reused by another process does not keep a dead owner's directory", async () => {
  const dir = await makeOwnedDir(root, 'lambda-av-scan-');
  // This process's pid with another start time: the record of an earlier process that had it.
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path.join(dir, '.lambda-av-owner'), `${process.pid} 1\n`);

  expect(await reclaimAbandonedDirs(root, 'lambda-av-scan-')).toEqual([dir]);
});

test('a process started through diesWithThisProcess is killed by the kernel when its parent is killed', async () => {
  const parentScript = `
    const { spawn } = require('node:child_process');
    require('tsx/cjs');
    const { diesWithThisProcess } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/clamd/parent-death.ts'))});
    const tool = diesWithThisProcess({ file: process.execPath, args: ['-e', 'setInterval(() => {}, 1 << 30)'], env: {} });
    const child = spawn(tool.file, tool.args, { stdio: 'ignore' });
    console.log(child.pid);
    setInterval(() => {}, 1 << 30);
  `;
  const parent = await startNode(parentScript);
  const grandchild = Number(parent.line);
  const exit = await watchExit(grandchild);

  parent.child.kill('SIGKILL');

  await exit.exited;
});

test('without setpriv the tool is started as it is', () => {
  const tool = { file: '/usr/sbin/clamd', args: ['--foreground'], env: {} };
  expect(diesWithThisProcess(tool, ['/nonexistent/setpriv'])).toBe(tool);
  expect(diesWithThisProcess(tool)).toEqual({
    file: '/usr/bin/setpriv',
    args: ['--pdeathsig', 'KILL', '--', '/usr/sbin/clamd', '--foreground'],
    env: {},
  });
});
