import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { customDatabaseUrlProblem } from '../../src/settings';
import { startTestMirror, type TestMirror } from '../support/mirror';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../support/signatures';

// Why lambda-av refuses a custom database URL with a query (customDatabaseUrlProblem): the real
// freshclam names the database it saves after all that follows the URL's last slash, query
// included, so the file is not a database clamd loads and a token in the query sits in its name.
// If a later freshclam stops doing so, this test fails and the rule can go.

const run = promisify(execFile);
let mirror: TestMirror;
let dir: string;

beforeAll(async () => {
  mirror = await startTestMirror();
  dir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-freshclam-url-'));
});
afterAll(async () => {
  await mirror?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('freshclam saves a DatabaseCustomURL with a query under a name that keeps the query, which clamd does not load', async () => {
  mirror.set('test.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  const url = `${mirror.url}/test.ndb?sig=token-1234`;
  const databases = path.join(dir, 'db');
  const conf = path.join(dir, 'freshclam.conf');
  await writeFile(
    conf,
    [
      `DatabaseDirectory ${databases}`,
      'DNSDatabaseInfo no',
      // freshclam wants a mirror named; with --update-db=custom it asks only the custom URL.
      'DatabaseMirror 127.0.0.1',
      `DatabaseOwner ${os.userInfo().username}`,
      `DatabaseCustomURL ${url}`,
      '',
    ].join('\n'),
  );
  await mkdir(databases);

  const { stdout } = await run('freshclam', [`--config-file=${conf}`, '--update-db=custom', '--stdout'], {
    timeout: 60_000,
  });

  expect(mirror.requests.map((r) => r.path)).toContain('/test.ndb');
  expect((await readdir(databases)).filter((name) => name.startsWith('test'))).toEqual([
    'test.ndb?sig=token-1234',
  ]);
  expect(stdout).toContain('unknown extension');
  expect(customDatabaseUrlProblem(url)).toMatch(/must not have a query/);
});
