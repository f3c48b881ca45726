import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Harness, startHarness } from '../support/harness';
import { record } from './ledger';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.scanner.prepare();
});
afterAll(async () => {
  await h.stop();
});

test('clamd listens on a unix socket only its own user may use', () => {
  const socket = statSync(h.scanner.engine.daemon.client.socketPath);

  expect(socket.isSocket()).toBe(true);
  expect(socket.mode & 0o777).toBe(0o600);
  expect(socket.uid).toBe(process.getuid?.());
  record('security', 'clamd socket mode 0600, owned by the scanner');
});

test('another user cannot talk to clamd', async () => {
  // As root, runuser switches to the unprivileged `nobody` to try a PING.
  const script = `
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); s.send(b'zPING\\0'); print(s.recv(10))
except PermissionError:
    print('denied')`;
  const output = await new Promise<string>((resolve, reject) =>
    execFile(
      'runuser',
      ['-u', 'nobody', '--', 'python3', '-c', script, h.scanner.engine.daemon.client.socketPath],
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message} ${stderr}`)) : resolve(stdout.trim()),
    ),
  );

  expect(output).toBe('denied');
  record('security', 'another user is refused by clamd socket');
});

test('no module under src/ starts a shell or builds a command line from a string', async () => {
  const files = await sourceFiles(path.join(__dirname, '..', '..', 'src'));
  const offending: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const shellApis =
      /import\s*\{[^}]*\b(exec|execSync|spawnSync|execFileSync)\b[^}]*\}\s*from\s*'node:child_process'/;
    if (shellApis.test(text) || /shell:\s*true/.test(text)) offending.push(file);
  }

  expect(files.length).toBeGreaterThan(20);
  expect(offending).toEqual([]);
  record('security', 'no shell in src/: spawn and execFile with argument arrays only');
});

async function sourceFiles(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}
