import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { UpdateResult } from '../../src/definitions/publish';
import { createUpdateDefinitionsHandler } from '../../src/handlers/update-definitions';
import { startLocalStepFunctions } from '../../src/local/sfn-server';
import { UPDATE_STATE_MACHINE } from '../../src/local/step-functions';
import { DEFINITIONS_BUCKET, DEFINITIONS_PREFIX, harnessPerTest, UPLOADS_BUCKET } from '../support/harness';
import { bodySignature, EICAR, EICAR_SIGNATURE, writeTestDatabase } from '../support/signatures';
import { functionArn, startWorkflow, UPDATER_FUNCTION } from '../support/workflow';

// A first deployment whose updater cannot reach ClamAV's mirror: a set copied from elsewhere is
// staged under lambda-av-import/ and published by the updater, the only writer of published sets.

const BIN = path.join(__dirname, '..', '..', 'bin', 'lambda-av.js');
const harness = harnessPerTest();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-import-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const noMetrics = { definitionsAge: () => undefined, definitionsMissing: () => undefined };
// The update workflow's canary runs after an import too; these tests are about the import.
const noCanaryMetrics = { canaryReported: async () => undefined };

async function keys(prefix: string): Promise<string[]> {
  const h = current;
  const page = await h.s3.client.send(
    new ListObjectsV2Command({ Bucket: DEFINITIONS_BUCKET, Prefix: prefix }),
  );
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
}

async function manifest(): Promise<{ version: string; files: Array<{ name: string }> } | undefined> {
  try {
    const response = await current.s3.client.send(
      new GetObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: `${DEFINITIONS_PREFIX}/manifest.json` }),
    );
    return JSON.parse((await response.Body?.transformToString()) ?? '');
  } catch {
    return undefined;
  }
}

/** Puts the files of `dir` under lambda-av-import/<id>/, as `definitions publish` does. */
async function stage(id: string, files: Record<string, string>): Promise<string> {
  const prefix = `lambda-av-import/${id}/`;
  for (const [name, content] of Object.entries(files))
    await current.s3.put(DEFINITIONS_BUCKET, `${prefix}${name}`, content);
  return prefix;
}

let current: Awaited<ReturnType<typeof harness>>;

async function start() {
  current = await harness({
    definitions: false,
    env: { CLAMAV_OFFICIAL_DATABASES: '', CLAMAV_CUSTOM_DATABASE_URLS: '' },
  });
  const handler = createUpdateDefinitionsHandler({
    config: current.config,
    s3: current.s3.client,
    metrics: noMetrics,
    canaryMetrics: noCanaryMetrics,
  });
  // Imports and updates answer with the update result.
  const updater = async (event: unknown) => (await handler(event)) as UpdateResult;
  return { h: current, updater };
}

test('before any set is published a scan fails with DefinitionsNotPublishedError, counted as missing', async () => {
  const { h } = await start();
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);

  await expect(h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })).rejects.toMatchObject({
    name: 'DefinitionsNotPublishedError',
    message: expect.stringContaining(`s3://${DEFINITIONS_BUCKET}/${DEFINITIONS_PREFIX}/`),
  });
  expect(h.metrics.definitionsMissingCount).toBe(1);
});

test('an import publishes the staged set in the updater layout, removes the staged copy, and scanners load it', async () => {
  const { h, updater } = await start();
  const prefix = await stage('first', {
    'test.ndb': `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`,
    'README.txt': 'copied from /var/lib/clamav',
  });
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);

  const result = await updater({ import: { prefix } });

  expect(result).toMatchObject({
    changed: true,
    files: [{ name: 'test.ndb' }],
    imported: { files: ['test.ndb'], ignored: ['README.txt'] },
  });
  expect((await manifest())?.version).toBe(result.version);
  expect(await keys('lambda-av-import/')).toEqual([]);
  expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })).toMatchObject({
    status: 'INFECTED',
    signature: `${EICAR_SIGNATURE}.UNOFFICIAL`,
  });
});

test('an imported file replaces the published file of that name; the other published files stay', async () => {
  const { updater } = await start();
  await updater({
    import: {
      prefix: await stage('one', {
        'a.ndb': `${bodySignature('A', 'aaaaaaaa')}\n`,
        'b.ndb': `${bodySignature('B', 'bbbbbbbb')}\n`,
      }),
    },
  });

  const second = await updater({
    import: { prefix: await stage('two', { 'b.ndb': `${bodySignature('B2', 'cccccccc')}\n` }) },
  });

  expect(second.files.map((file) => file.name)).toEqual(['a.ndb', 'b.ndb']);
  expect(second.changed).toBe(true);
});

test('a staged set that does not load in ClamAV publishes nothing and stays staged for inspection', async () => {
  const { updater } = await start();
  const good = await updater({
    import: { prefix: await stage('good', { 'test.ndb': `${bodySignature('Fine', 'abcdef')}\n` }) },
  });
  const prefix = await stage('broken', { 'broken.ldb': 'Broken;Target:0;0;zz\n' });

  await expect(updater({ import: { prefix } })).rejects.toMatchObject({
    name: 'DefinitionsVerificationError',
    message: expect.stringContaining('broken.ldb'),
  });
  expect((await manifest())?.version).toBe(good.version);
  expect(await keys(prefix)).toEqual([`${prefix}broken.ldb`]);
});

test.each([
  [{ prefix: 'av-definitions/' }, /import.prefix must be lambda-av-import\/<id>\/.*got "av-definitions\/"/],
  [{ prefix: 'lambda-av-import/../av-definitions/' }, /import.prefix must be/],
  [{}, /got undefined/],
])(
  'an import request naming %j is refused: the updater reads nothing but its staging area',
  async (request, message) => {
    const { updater } = await start();

    await expect(updater({ import: request })).rejects.toMatchObject({
      name: 'DefinitionsImportError',
      message: expect.stringMatching(message),
    });
  },
);

test('an import with no database files staged is refused, naming what it found', async () => {
  const { updater } = await start();
  const prefix = await stage('empty', { 'notes.txt': 'nothing here' });

  await expect(updater({ import: { prefix } })).rejects.toMatchObject({
    name: 'DefinitionsImportError',
    message: expect.stringMatching(/no ClamAV database files .*found: notes.txt/),
  });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function lambdaAv(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 2) : 0, stdout, stderr });
      },
    );
  });
}

describe('lambda-av definitions publish, through the update state machine', () => {
  test('publishes a directory of databases to a stack with none; scans then use them', async () => {
    const { h, updater } = await start();
    const workflow = await startWorkflow(
      { [UPDATER_FUNCTION]: (event) => updater(event) },
      { s3: h.s3.client, substitutions: {} },
    );
    const sfn = await startLocalStepFunctions(
      { 'lambda-av-update': UPDATE_STATE_MACHINE },
      {
        credentials: h.s3.credentials,
        lambda: workflow.lambda,
        s3: h.s3.client,
        substitutions: {
          UpdaterFunctionArn: functionArn(UPDATER_FUNCTION),
          ScanStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-scan',
          CanaryScanResource: 'arn:aws:states:::states:startExecution.sync:2',
          BulkScanStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-bulk-scan',
        },
      },
    );
    try {
      const source = path.join(dir, 'clamav-db');
      await mkdir(source);
      await writeTestDatabase(source);
      await writeFile(path.join(source, 'freshclam.dat'), 'state that is not a database');
      await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
      const env = {
        AWS_ENDPOINT_URL_S3: h.s3.endpoint,
        AWS_ENDPOINT_URL_SFN: sfn.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: h.s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: h.s3.credentials.secretAccessKey,
        CLAMAV_BUCKET_NAME: DEFINITIONS_BUCKET,
        PATH_TO_AV_DEFINITIONS: DEFINITIONS_PREFIX,
        LAMBDA_AV_UPDATE_STATE_MACHINE_ARN: sfn.stateMachineArns['lambda-av-update'] as string,
      };

      const run = await lambdaAv(['definitions', 'publish', source, '--json'], env);

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout);
      expect(result).toMatchObject({ changed: true, imported: { files: ['test.hdb', 'test.ndb'] } });
      expect((await manifest())?.version).toBe(result.version);
      expect(await keys('lambda-av-import/')).toEqual([]);
      expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })).toMatchObject({
        status: 'INFECTED',
      });
    } finally {
      await sfn.stop();
      await workflow.stop();
    }
  });

  test('a set that does not load: exit 2 with the updater error, nothing published', async () => {
    const { h, updater } = await start();
    const workflow = await startWorkflow(
      { [UPDATER_FUNCTION]: (event) => updater(event) },
      { s3: h.s3.client, substitutions: {} },
    );
    const sfn = await startLocalStepFunctions(
      { 'lambda-av-update': UPDATE_STATE_MACHINE },
      {
        credentials: h.s3.credentials,
        lambda: workflow.lambda,
        s3: h.s3.client,
        substitutions: {
          UpdaterFunctionArn: functionArn(UPDATER_FUNCTION),
          ScanStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-scan',
          CanaryScanResource: 'arn:aws:states:::states:startExecution.sync:2',
          BulkScanStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-bulk-scan',
        },
      },
    );
    try {
      await writeFile(path.join(dir, 'broken.ldb'), 'Broken;Target:0;0;zz\n');

      const run = await lambdaAv(
        [
          'definitions',
          'publish',
          dir,
          '--bucket',
          DEFINITIONS_BUCKET,
          '--prefix',
          DEFINITIONS_PREFIX,
          '--state-machine',
          sfn.stateMachineArns['lambda-av-update'] as string,
        ],
        {
          AWS_ENDPOINT_URL_S3: h.s3.endpoint,
          AWS_ENDPOINT_URL_SFN: sfn.endpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: h.s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: h.s3.credentials.secretAccessKey,
        },
      );

      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/DefinitionsVerificationError: .*do not load in ClamAV/);
      expect(await manifest()).toBeUndefined();
    } finally {
      await sfn.stop();
      await workflow.stop();
    }
  });

  test.each([
    [['definitions', 'publish'], /definitions publish takes one directory/],
    [
      ['definitions', 'publish', '/nonexistent-dir', '--bucket', 'b', '--prefix', 'p', '--function', 'f'],
      /cannot read \/nonexistent-dir/,
    ],
    [
      ['definitions', 'publish', '.', '--prefix', 'p', '--function', 'f'],
      /needs --bucket NAME or CLAMAV_BUCKET_NAME/,
    ],
    [
      ['definitions', 'publish', '.', '--bucket', 'b', '--prefix', '', '--function', 'f'],
      /needs the definitions prefix/,
    ],
    [
      ['definitions', 'publish', '.', '--bucket', 'b', '--prefix', 'p'],
      /needs the update state machine .* or the updater/,
    ],
    [['definitions', 'list'], /definitions takes 'publish DIR', got "list"/],
  ])('bad arguments %j exit 2 with a clear message', async (args, message) => {
    const run = await lambdaAv(args, {
      CLAMAV_BUCKET_NAME: '',
      PATH_TO_AV_DEFINITIONS: '',
      LAMBDA_AV_UPDATE_STATE_MACHINE_ARN: '',
      LAMBDA_AV_UPDATER_FUNCTION_NAME: '',
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
