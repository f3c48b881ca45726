import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsSecretReader } from '../../src/definitions/aws-secret-reader';
import { updateDefinitions } from '../../src/definitions/updater';
import { newLocalCredentials } from '../../src/local/protocol/local-credentials';
import { judged } from '../robustness/ledger';
import {
  DEFINITIONS_BUCKET,
  DEFINITIONS_PREFIX,
  type Harness,
  startHarness,
  UPLOADS_BUCKET,
} from '../support/harness';
import { startTestMirror, type TestMirror } from '../support/mirror';
import { type Moto, startMoto } from '../support/moto';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../support/signatures';

// The updater's secret URLs read for real: the AWS SDK's Secrets Manager and SSM clients against
// moto's server, a database mirror on 127.0.0.1 whose paths carry the token, and freshclam.

const TOKEN = 'tok-6b1f0c9e2d';
const MIRROR_SECRET = 'lambda-av/mirror';
const SIGS_PARAMETER = '/lambda-av/sigs-url';

let moto: Moto;
let mirror: TestMirror;
let secretsManager: SecretsManagerClient;
let ssm: SSMClient;
let mirrorSecretArn: string;

beforeAll(async () => {
  moto = await startMoto();
  mirror = await startTestMirror();
  mirror.set(`${TOKEN}/test.ndb`, `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  const client = { endpoint: moto.endpoint, region: 'us-east-1', credentials: newLocalCredentials() };
  secretsManager = new SecretsManagerClient(client);
  ssm = new SSMClient(client);
  const created = await secretsManager.send(
    new CreateSecretCommand({
      Name: MIRROR_SECRET,
      SecretString: JSON.stringify({ url: `${mirror.url}/${TOKEN}`, note: 'rotated by the mirror team' }),
    }),
  );
  mirrorSecretArn = created.ARN ?? '';
  await ssm.send(
    new PutParameterCommand({
      Name: SIGS_PARAMETER,
      Type: 'SecureString',
      Value: `${mirror.url}/${TOKEN}/test.ndb`,
    }),
  );
}, 60_000);

afterAll(async () => {
  secretsManager?.destroy();
  ssm?.destroy();
  await mirror?.stop();
  await moto?.stop();
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const secretEnv = () => ({
  CLAMAV_OFFICIAL_DATABASES: '',
  CLAMAV_CUSTOM_DATABASE_URLS: '',
  CLAMAV_MIRROR_URL_SECRET: `secretsmanager:${mirrorSecretArn}#url`,
  CLAMAV_CUSTOM_DATABASE_URL_SECRETS: `ssm:${SIGS_PARAMETER}`,
});

/**
 * A fresh harness with the secret settings and `env` over them, and an update run on it that
 * reads moto's Secrets Manager and SSM.
 */
async function startUpdate(
  env: Record<string, string> = {},
): Promise<{ harness: Harness; run: ReturnType<typeof updateDefinitions> }> {
  const harness = await startHarness({ definitions: false, env: { ...secretEnv(), ...env } });
  h = harness;
  const secrets = awsSecretReader({ secretsManager, ssm });
  return { harness, run: updateDefinitions({ s3: harness.s3.client, config: harness.config, secrets }) };
}

test('a full update run fetches from the mirror whose URLs came from a moto secret and a SecureString, and a scanner detects with the set', async () => {
  const { harness, run } = await startUpdate();
  const result = await run;

  expect(result).toMatchObject({ changed: true, files: [{ name: 'test.ndb' }] });
  expect(mirror.requests).toContainEqual({ path: `/${TOKEN}/test.ndb`, status: 200 });
  const conf = await readFile(path.join(harness.config.workDir, 'updater', 'freshclam.conf'), 'utf8');
  expect(conf).toContain(`PrivateMirror ${mirror.url}/${TOKEN}\n`);
  expect(conf).toContain(`DatabaseCustomURL ${mirror.url}/${TOKEN}/test.ndb\n`);
  expect(JSON.stringify(result)).not.toContain(TOKEN);
  await harness.s3.put(UPLOADS_BUCKET, 'eicar.com', EICAR);
  expect(await harness.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' })).toMatchObject({
    status: 'INFECTED',
  });
  judged('moto', 'Secrets Manager and SSM SecureString read by the updater');
}, 120_000);

test("freshclam's failure, which prints the secret URL, reaches the error redacted", async () => {
  await ssm.send(
    new PutParameterCommand({
      Name: '/lambda-av/missing-url',
      Type: 'SecureString',
      Value: `${mirror.url}/${TOKEN}/missing.ndb`,
    }),
  );
  const { run } = await startUpdate({ CLAMAV_CUSTOM_DATABASE_URL_SECRETS: 'ssm:/lambda-av/missing-url' });
  const error = await run.then(
    () => undefined,
    (thrown: Error) => thrown,
  );

  expect(mirror.requests).toContainEqual({ path: `/${TOKEN}/missing.ndb`, status: 404 });
  expect(error).toMatchObject({
    name: 'DefinitionsUpdateError',
    message: expect.stringContaining('<secret URL>'),
  });
  expect(error?.message).not.toContain(TOKEN);
}, 120_000);

test('a SecureString that holds no URL is a SecretUrlError naming the parameter, not its value', async () => {
  await ssm.send(
    new PutParameterCommand({ Name: '/lambda-av/broken-url', Type: 'SecureString', Value: `token=${TOKEN}` }),
  );
  const { run } = await startUpdate({ CLAMAV_CUSTOM_DATABASE_URL_SECRETS: 'ssm:/lambda-av/broken-url' });

  await expect(run).rejects.toMatchObject({
    name: 'SecretUrlError',
    message: expect.stringMatching(
      /^CLAMAV_CUSTOM_DATABASE_URL_SECRETS\[0\] \(SSM parameter \/lambda-av\/broken-url\) must hold/,
    ),
  });
  await expect(run).rejects.not.toHaveProperty('message', expect.stringContaining(TOKEN));
}, 60_000);

test('a secret that does not exist is a SecretUrlError quoting AWS', async () => {
  const { run } = await startUpdate({ CLAMAV_MIRROR_URL_SECRET: 'secretsmanager:lambda-av/no-such-secret' });

  await expect(run).rejects.toMatchObject({
    name: 'SecretUrlError',
    message: expect.stringMatching(
      /secret lambda-av\/no-such-secret.* could not be read: ResourceNotFoundException/,
    ),
  });
}, 60_000);

test("a secret mirror's refusal is a cool-down whose stored and returned reason does not hold the URL", async () => {
  mirror.rateLimit(true);

  const { harness, run } = await startUpdate({
    CLAMAV_OFFICIAL_DATABASES: 'daily',
    CLAMAV_CUSTOM_DATABASE_URL_SECRETS: '',
  });
  const result = await run.finally(() => mirror.rateLimit(false));

  const state = await harness.s3.client.send(
    new GetObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: `${DEFINITIONS_PREFIX}/updater-state.json` }),
  );
  expect(result.coolDown?.reason).toMatch(/the mirror <secret URL> answered HTTP 429 to daily.cvd/);
  expect(await state.Body?.transformToString()).not.toContain(TOKEN);
  expect(JSON.stringify(result)).not.toContain(TOKEN);
}, 60_000);
