import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTool } from '../../../src/clamd/binaries';

const made: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

test('without a bin dir the system ClamAV is used', () => {
  expect(resolveTool('clamd', undefined)).toEqual({ file: '/usr/sbin/clamd', args: [], env: {} });
  expect(resolveTool('sigtool', undefined)).toEqual({ file: '/usr/bin/sigtool', args: [], env: {} });
});

test('a bin dir without a bundled loader runs the programs directly', () => {
  const dir = tempDir('bin-');

  expect(resolveTool('clamscan', dir)).toEqual({ file: path.join(dir, 'clamscan'), args: [], env: {} });
});

test('a bundle with its own loader starts each program through it with the bundle libraries', () => {
  const root = tempDir('bundle-');
  mkdirSync(path.join(root, 'bin'));
  mkdirSync(path.join(root, 'lib'));
  writeFileSync(path.join(root, 'lib', 'ld-linux-x86-64.so.2'), '');

  expect(resolveTool('clamd', path.join(root, 'bin'))).toEqual({
    file: path.join(root, 'bin', '..', 'lib', 'ld-linux-x86-64.so.2'),
    args: ['--library-path', path.join(root, 'bin', '..', 'lib'), path.join(root, 'bin', 'clamd')],
    env: {
      GCONV_PATH: path.join(root, 'bin', '..', 'lib', 'gconv'),
      CURL_CA_BUNDLE: path.join(root, 'bin', '..', 'certs', 'ca-certificates.crt'),
    },
  });
});
