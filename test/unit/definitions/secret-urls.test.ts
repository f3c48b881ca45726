import { loadConfig, type SecretReference } from '../../../src/config';
import { renderFreshclamConf } from '../../../src/definitions/freshclam';
import { resolveSecretUrls, type SecretReader } from '../../../src/definitions/secret-urls';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:lambda-av/mirror-AbCdEf';
const TOKEN = 'tok-9f8e7d6c5b4a';

/** Secrets Manager and SSM as a map from reference id to value; counts the reads. */
function readerOf(values: Record<string, string>): SecretReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async read(reference: SecretReference) {
      reads.push(reference.id);
      const value = values[reference.id];
      if (value === undefined) {
        throw Object.assign(new Error(`Secrets Manager can't find the specified secret.`), {
          name: 'ResourceNotFoundException',
        });
      }
      return value;
    },
  };
}

const updaterOf = (env: Record<string, string>) =>
  loadConfig({ CLAMAV_BUCKET_NAME: 'defs', CLAMAV_CUSTOM_DATABASE_URLS: '', ...env }).updater;

test('the mirror comes from a JSON field of a secret, the custom databases from SSM, after the plain ones', async () => {
  const updater = updaterOf({
    CLAMAV_MIRROR_URL_SECRET: `secretsmanager:${SECRET_ARN}#url`,
    CLAMAV_CUSTOM_DATABASE_URLS: 'https://public.example.test/a.ndb',
    CLAMAV_CUSTOM_DATABASE_URL_SECRETS: 'ssm:/lambda-av/sigs-url',
  });
  const reader = readerOf({
    [SECRET_ARN]: JSON.stringify({ url: `https://mirror.example.test/${TOKEN}/`, other: 'x' }),
    '/lambda-av/sigs-url': `https://sigs.example.test/${TOKEN}/b.ndb\n`,
  });

  const { updater: resolved } = await resolveSecretUrls(updater, reader);

  expect(resolved.mirrorUrl).toBe(`https://mirror.example.test/${TOKEN}`);
  expect(resolved.customDatabaseUrls).toEqual([
    'https://public.example.test/a.ndb',
    `https://sigs.example.test/${TOKEN}/b.ndb`,
  ]);
  expect(renderFreshclamConf(resolved, '/tmp/db')).toContain(
    `PrivateMirror https://mirror.example.test/${TOKEN}\n`,
  );
});

test('every run reads the secret again, so a rotated value is used by the next run', async () => {
  const updater = updaterOf({ CLAMAV_MIRROR_URL_SECRET: 'ssm:/lambda-av/mirror-url' });
  const values = { '/lambda-av/mirror-url': 'https://old.example.test' };
  const reader = readerOf(values);

  const first = await resolveSecretUrls(updater, reader);
  values['/lambda-av/mirror-url'] = 'https://new.example.test';
  const second = await resolveSecretUrls(updater, reader);

  expect([first.updater.mirrorUrl, second.updater.mirrorUrl]).toEqual([
    'https://old.example.test',
    'https://new.example.test',
  ]);
  expect(reader.reads).toHaveLength(2);
});

test('without references nothing is read and the settings are unchanged', async () => {
  const updater = updaterOf({ CLAMAV_MIRROR_URL: 'https://mirror.example.test' });
  const reader = readerOf({});

  const { updater: resolved, redact } = await resolveSecretUrls(updater, reader);

  expect(resolved).toEqual(updater);
  expect(reader.reads).toEqual([]);
  expect(redact('https://mirror.example.test')).toBe('https://mirror.example.test');
});

describe('an unusable value is a SecretUrlError that names the secret and never shows the value', () => {
  test.each([
    [
      'not a URL',
      `token ${TOKEN}`,
      undefined,
      /must hold a http: or https: URL without white space; its value is not shown/,
    ],
    ['another protocol', `ftp://mirror.example.test/${TOKEN}`, undefined, /must hold a http: or https: URL/],
    [
      'a second line (freshclam.conf injection)',
      `https://m.example.test/${TOKEN}\nDatabaseMirror evil`,
      undefined,
      /must hold/,
    ],
    [
      'not JSON though a field is named',
      `{"url": "https://m.example.test/${TOKEN}"`,
      'url',
      /is not a JSON object, so it has no field url/,
    ],
    [
      'JSON without the field',
      JSON.stringify({ mirror: `https://m.example.test/${TOKEN}` }),
      'url',
      /has no string field url/,
    ],
  ])('%s', async (_case, value, field, message) => {
    const updater = updaterOf({
      CLAMAV_MIRROR_URL_SECRET: `secretsmanager:${SECRET_ARN}${field ? `#${field}` : ''}`,
    });

    const resolving = resolveSecretUrls(updater, readerOf({ [SECRET_ARN]: value }));

    const error = await resolving.then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error).toMatchObject({ name: 'SecretUrlError', message: expect.stringMatching(message) });
    expect(error?.message).toContain(`CLAMAV_MIRROR_URL_SECRET (secret ${SECRET_ARN}`);
    expect(error?.message).not.toContain(TOKEN);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(TOKEN);
  });

  test.each([
    [`https://sigs.example.test/x.ndb?sig=${TOKEN}`, /must not have a query or fragment/],
    [`https://sigs.example.test/${TOKEN}/`, /must end in the database's file name/],
  ])('a custom database URL freshclam would misname (%s)', async (value, message) => {
    const updater = updaterOf({ CLAMAV_CUSTOM_DATABASE_URL_SECRETS: 'ssm:/c' });

    const resolving = resolveSecretUrls(updater, readerOf({ '/c': value }));

    const error = await resolving.then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error).toMatchObject({ name: 'SecretUrlError', message: expect.stringMatching(message) });
    expect(error?.message).toContain('CLAMAV_CUSTOM_DATABASE_URL_SECRETS[0] (SSM parameter /c)');
    expect(error?.message).not.toContain(TOKEN);
  });

  test("a read AWS refuses is a SecretUrlError quoting AWS's error, with it as the cause", async () => {
    const updater = updaterOf({ CLAMAV_CUSTOM_DATABASE_URL_SECRETS: 'ssm:/a,ssm:/missing' });

    const resolving = resolveSecretUrls(updater, readerOf({ '/a': 'https://sigs.example.test/a.ndb' }));

    await expect(resolving).rejects.toMatchObject({
      name: 'SecretUrlError',
      message: expect.stringMatching(
        /^CLAMAV_CUSTOM_DATABASE_URL_SECRETS\[1\] \(SSM parameter \/missing\) could not be read: ResourceNotFoundException/,
      ),
      cause: expect.objectContaining({ name: 'ResourceNotFoundException' }),
    });
  });
});

test('redact hides each secret URL, as given and normalised, and the parts freshclam prints alone', async () => {
  const mirror = `https://user:p%40ss-${TOKEN}@mirror.example.test:8443/${TOKEN}`;
  const custom = `https://sigs.example.test/${TOKEN}/x.ndb`;
  const updater = updaterOf({
    CLAMAV_MIRROR_URL_SECRET: 'ssm:/m',
    CLAMAV_CUSTOM_DATABASE_URL_SECRETS: 'ssm:/c',
  });
  const { redact } = await resolveSecretUrls(updater, readerOf({ '/m': mirror, '/c': custom }));
  // What freshclam 1.4 prints about a PrivateMirror and a DatabaseCustomURL that fail.
  const output = [
    `Trying to retrieve CVD header from ${mirror}/daily.cvd`,
    `ERROR: check_for_new_database_version: Failed to find daily database using server ${mirror}.`,
    `WARNING: Can't download x.ndb from ${custom}`,
    `password alone: p@ss-${TOKEN}`,
  ].join('\n');

  const redacted = redact(output);

  expect(redacted).not.toContain(TOKEN);
  expect(redacted).toContain('Trying to retrieve CVD header from <secret URL>/daily.cvd');
  expect(redacted).toContain("Can't download x.ndb from <secret URL>");
});
