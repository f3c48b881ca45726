import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config';
import type { UpdateResult } from '../../src/definitions/updater';
import { updateDefinitions } from '../../src/definitions/updater';
import { verifyDefinitions } from '../../src/definitions/verify';
import { createUpdateDefinitionsHandler } from '../../src/handlers/update-definitions';
import {
  DEFINITIONS_BUCKET,
  DEFINITIONS_PREFIX,
  type Harness,
  startHarness,
  UPLOADS_BUCKET,
} from '../support/harness';
import { mirrorEnv, startTestMirror, type TestMirror } from '../support/mirror';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../support/signatures';

const MARKER = 'lambda-av-daemon new threat marker 0001';

let h: Harness;
let mirror: TestMirror;
let clock = Date.now();

beforeEach(async () => {
  mirror = await startTestMirror();
  mirror.set('test.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  clock = Date.now();
  h = await startHarness({
    definitions: false,
    env: { ...mirrorEnv(mirror), DEFINITIONS_CHECK_INTERVAL: '300' },
    now: () => clock,
  });
});
afterEach(async () => {
  await h.stop();
  await mirror.stop();
});

const update = () => updateDefinitions({ s3: h.s3.client, config: h.config });

async function manifestText(): Promise<string> {
  const response = await h.s3.client.send(
    new GetObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: `${DEFINITIONS_PREFIX}/manifest.json` }),
  );
  return (await response.Body?.transformToString()) ?? '';
}

async function storedKeys(): Promise<string[]> {
  const page = await h.s3.client.send(
    new ListObjectsV2Command({ Bucket: DEFINITIONS_BUCKET, Prefix: `${DEFINITIONS_PREFIX}/` }),
  );
  return (page.Contents ?? []).map((o) => o.Key ?? '').sort();
}

test('the first run publishes the set: content-addressed files, freshclam state, then the manifest', async () => {
  const result = await update();

  expect(result).toMatchObject({ changed: true, files: [{ name: 'test.ndb' }] });
  expect(result.version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  expect(result.ageHours).toBeGreaterThanOrEqual(0);
  expect(result.ageHours).toBeLessThan(0.1);
  const keys = await storedKeys();
  expect(keys).toEqual(
    expect.arrayContaining([
      `${DEFINITIONS_PREFIX}/manifest.json`,
      `${DEFINITIONS_PREFIX}/freshclam.dat`,
      expect.stringMatching(new RegExp(`^${DEFINITIONS_PREFIX}/objects/[0-9a-f]{64}/test.ndb$`)),
    ]),
  );
  const manifest = JSON.parse(await manifestText());
  expect(manifest).toMatchObject({
    schema: 1,
    version: result.version,
    files: [{ name: 'test.ndb', size: expect.any(Number) }],
  });
});

test('a scanner loads the published set and names it in its results', async () => {
  const published = await update();
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);

  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })) as {
    status: string;
    definitions: string;
  };

  expect(result.status).toBe('INFECTED');
  expect(result.definitions).toContain(`(set ${published.version})`);
});

test('a second run with nothing new publishes nothing', async () => {
  await update();
  const before = await manifestText();
  const keysBefore = await storedKeys();

  const result = await update();

  expect(result.changed).toBe(false);
  expect(await manifestText()).toBe(before);
  expect(await storedKeys()).toEqual(keysBefore);
});

test('a new signature on the mirror reaches a warm scanner without a restart: CLEAN becomes INFECTED', async () => {
  await update();
  await h.s3.put(UPLOADS_BUCKET, 'sample.txt', `report text with ${MARKER} inside`);
  const first = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'sample.txt' })) as { status: string };
  const pid = h.scanner.engine.daemon.pid;
  mirror.set(
    'test.ndb',
    `${bodySignature(EICAR_SIGNATURE, EICAR)}\n${bodySignature('New-Threat', MARKER)}\n`,
  );

  const updated = await update();
  clock += 301_000;
  const second = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'sample.txt' })) as {
    status: string;
    signature?: string;
  };

  expect(first.status).toBe('CLEAN');
  expect(updated.changed).toBe(true);
  expect(second).toMatchObject({ status: 'INFECTED', signature: 'New-Threat.UNOFFICIAL' });
  expect(h.scanner.engine.daemon.pid).toBe(pid);
  expect(h.metrics.daemonStarts).toHaveLength(1);
});

test('before the check interval has passed, a warm scanner keeps its definitions', async () => {
  await update();
  await h.s3.put(UPLOADS_BUCKET, 'sample.txt', MARKER);
  await h.handler({ bucket: UPLOADS_BUCKET, key: 'sample.txt' });
  mirror.set('test.ndb', `${bodySignature('New-Threat', MARKER)}\n`);
  await update();
  clock += 100_000;

  const result = (await h.handler({ bucket: UPLOADS_BUCKET, key: 'sample.txt' })) as { status: string };

  expect(result.status).toBe('CLEAN');
});

test('a corrupt database on the mirror is refused and the last good set stays published', async () => {
  const good = await update();
  const before = await manifestText();
  mirror.set('test.ndb', 'this is not a signature database\n');

  await expect(update()).rejects.toMatchObject({
    name: 'DefinitionsUpdateError',
    message: expect.stringMatching(/freshclam failed .*published definitions are unchanged/s),
  });

  expect(await manifestText()).toBe(before);
  expect(JSON.parse(before).version).toBe(good.version);
});

test('a set that does not load in ClamAV fails verification with ClamAV explanation', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bad-set-'));
  await writeFile(path.join(dir, 'good.ndb'), `${bodySignature('Fine', 'abcdef')}\n`);
  await writeFile(path.join(dir, 'broken.ldb'), 'Broken;Target:0;0;zz\n');

  const verification = verifyDefinitions(undefined, dir, 30_000);

  await expect(verification).rejects.toMatchObject({
    name: 'DefinitionsVerificationError',
    message: expect.stringContaining('broken.ldb'),
  });
  await rm(dir, { recursive: true, force: true });
});

test('HTTP 429 from the mirror ends as a cool-down, and the next run does not contact the mirror', async () => {
  await update();
  mirror.rateLimit(true);

  const limited = await update();
  const requestsAfterLimit = mirror.requests.length;
  const again = await update();

  expect(limited.changed).toBe(false);
  expect(limited.coolDown?.reason).toMatch(/429/);
  expect(new Date(limited.coolDown?.until ?? 0).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
  expect(limited.version).toBeDefined();
  expect(again.coolDown?.until).toBe(limited.coolDown?.until);
  expect(mirror.requests.length).toBe(requestsAfterLimit);
});

test('a publish interrupted before the manifest leaves scanners on the old complete set', async () => {
  await update();
  mirror.set('test.ndb', `${bodySignature('New-Threat', MARKER)}\n`);
  h.s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string };
      if (context.commandName === 'PutObjectCommand' && input.Key?.endsWith('/manifest.json')) {
        throw Object.assign(new Error('connection reset while publishing'), { name: 'NetworkingError' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'interruptManifest' },
  );

  await expect(update()).rejects.toThrow('connection reset while publishing');
  h.s3.client.middlewareStack.remove('interruptManifest');

  await h.s3.put(UPLOADS_BUCKET, 'sample.txt', MARKER);
  await h.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
  expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'sample.txt' })).toMatchObject({ status: 'CLEAN' });
  expect(await h.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })).toMatchObject({ status: 'INFECTED' });
});

test('the updater handler emits the definition age as a metric', async () => {
  const ages: number[] = [];
  const handler = createUpdateDefinitionsHandler({
    config: h.config,
    s3: h.s3.client,
    metrics: { definitionsAge: (hours) => ages.push(hours), definitionsMissing: () => undefined },
    canaryMetrics: { canaryReported: async () => undefined },
  });

  const result = (await handler()) as UpdateResult;

  expect(ages).toEqual([result.ageHours]);
});

test('updater settings are validated: a mirror URL must be http(s)', () => {
  expect(() => loadConfig({ CLAMAV_BUCKET_NAME: 'b', CLAMAV_MIRROR_URL: 'ftp://mirror' })).toThrow(
    /CLAMAV_MIRROR_URL must be a http: or https: URL, got "ftp:\/\/mirror"/,
  );
  expect(() =>
    loadConfig({
      CLAMAV_BUCKET_NAME: 'b',
      CLAMAV_CUSTOM_DATABASE_URLS: 'http://a/x.ndb\nDatabaseMirror evil',
    }),
  ).toThrow(/CLAMAV_CUSTOM_DATABASE_URLS\[0\]/);
  expect(() => loadConfig({ CLAMAV_BUCKET_NAME: 'b', CLAMAV_OFFICIAL_DATABASES: 'main,weekly' })).toThrow(
    /CLAMAV_OFFICIAL_DATABASES may list main, daily, bytecode; got "weekly"/,
  );
});

describe('a private mirror serving the official databases (CLAMAV_MIRROR_URL)', () => {
  const official = () =>
    loadConfig({
      CLAMAV_BUCKET_NAME: DEFINITIONS_BUCKET,
      PATH_TO_AV_DEFINITIONS: DEFINITIONS_PREFIX,
      AV_WORK_DIR: h.config.workDir,
      CLAMAV_MIRROR_URL: mirror.url,
      CLAMAV_OFFICIAL_DATABASES: 'daily',
      CLAMAV_CUSTOM_DATABASE_URLS: '',
    });

  test('that refuses us (HTTP 429, which freshclam reports as a malformed CVD header) gives a cool-down, and the next run stays away', async () => {
    mirror.rateLimit(true);
    const startedAt = Date.now();

    const limited = await updateDefinitions({ s3: h.s3.client, config: official() });
    const requests = mirror.requests.length;
    const again = await updateDefinitions({ s3: h.s3.client, config: official() });

    expect(limited.coolDown?.reason).toMatch(/answered HTTP 429 to daily.cvd/);
    // The mirror's Retry-After: 3600.
    const until = new Date(limited.coolDown?.until ?? 0).getTime();
    expect(until).toBeGreaterThanOrEqual(startedAt + 3600_000 - 5_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 3600_000 + 5_000);
    expect(again.coolDown?.until).toBe(limited.coolDown?.until);
    expect(mirror.requests.length).toBe(requests);
  }, 60_000);

  test('that is broken rather than refusing (no daily.cvd) is an update failure, not a cool-down', async () => {
    await expect(updateDefinitions({ s3: h.s3.client, config: official() })).rejects.toMatchObject({
      name: 'DefinitionsUpdateError',
    });
    expect(mirror.requests.some((request) => request.path === '/daily.cvd' && request.status === 404)).toBe(
      true,
    );
  }, 60_000);
});
