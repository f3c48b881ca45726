import { loadCliSettings, loadConfig } from '../../src/config';
import { DEFAULT_MAX_FILE_SIZE, SETTINGS, type Setting, type SettingName } from '../../src/settings';

const required = { CLAMAV_BUCKET_NAME: 'defs' };

test('defaults follow the original project', () => {
  const config = loadConfig(required);

  expect(config).toMatchObject({
    definitionsBucket: 'defs',
    definitionsPrefix: '',
    statusNames: {
      CLEAN: 'CLEAN',
      INFECTED: 'INFECTED',
      UNSCANNABLE: 'UNSCANNABLE',
      SKIPPED: 'SKIPPED',
      PROCESSING_ERROR: 'PROCESSING_ERROR',
    },
    unscannablePolicy: 'report',
    statusTagKey: 'av-status',
    timestampTagKey: 'av-timestamp',
    warmConcurrency: 1,
    maxFileSize: DEFAULT_MAX_FILE_SIZE,
    workDir: '/tmp/lambda-av',
  });
  expect(DEFAULT_MAX_FILE_SIZE).toBe(300 * 1024 * 1024);
});

test("the scanner's settings map to these fields of its configuration", () => {
  const config = loadConfig({
    ...required,
    PATH_TO_AV_DEFINITIONS: '/clamav/defs/',
    FILE_STATUS_CLEAN: 'ok',
    FILE_STATUS_INFECTED: 'bad',
    FILE_STATUS_UNSCANNABLE: 'unreadable',
    UNSCANNABLE_POLICY: 'block-as-infected',
    FILE_STATUS_SKIPPED: 'big',
    FILE_STATUS_PROCESSING_ERROR: 'err',
    METADATA_FILE_STATUS: 'scan-status',
    METADATA_FILE_TIMESTAMP: 'scan-time',
    WARM_CONCURRENCY: '4',
    MAX_FILE_SIZE: '1048576',
    CLAMAV_BIN_DIR: '/opt/clamav/bin',
    AV_WORK_DIR: '/mnt/work',
    RESULT_EVENT_BUS: 'scan-results',
    INFECTED_ACTIONS: '{"uploads": "quarantine", "inbox": "delete"}',
  });

  expect(config).toMatchObject({
    definitionsPrefix: 'clamav/defs',
    statusNames: {
      CLEAN: 'ok',
      INFECTED: 'bad',
      UNSCANNABLE: 'unreadable',
      SKIPPED: 'big',
      PROCESSING_ERROR: 'err',
    },
    unscannablePolicy: 'block-as-infected',
    statusTagKey: 'scan-status',
    timestampTagKey: 'scan-time',
    warmConcurrency: 4,
    maxFileSize: 1048576,
    clamavBinDir: '/opt/clamav/bin',
    workDir: '/mnt/work',
    resultEventBus: 'scan-results',
    infectedActions: { uploads: 'quarantine', inbox: 'delete' },
  });
});

test('results are not published and nothing is acted on unless the environment says so', () => {
  expect(loadConfig(required)).toMatchObject({ resultEventBus: undefined, infectedActions: {} });
});

test("verdicts that are neither clean nor infected may share a name, as GuardDuty's UNSUPPORTED does", () => {
  const config = loadConfig({
    ...required,
    FILE_STATUS_UNSCANNABLE: 'UNSUPPORTED',
    FILE_STATUS_SKIPPED: 'UNSUPPORTED',
  });

  expect(config.statusNames).toMatchObject({ UNSCANNABLE: 'UNSUPPORTED', SKIPPED: 'UNSUPPORTED' });
});

test.each([
  [{}, /CLAMAV_BUCKET_NAME is required but not set/],
  [{ CLAMAV_BUCKET_NAME: '  ' }, /CLAMAV_BUCKET_NAME is required but empty/],
  [{ ...required, WARM_CONCURRENCY: 'two' }, /WARM_CONCURRENCY must be a whole number, got "two"/],
  [{ ...required, WARM_CONCURRENCY: '0' }, /WARM_CONCURRENCY must be between 1 and 100, got 0/],
  [{ ...required, MAX_FILE_SIZE: '1.5' }, /MAX_FILE_SIZE must be a whole number, got "1.5"/],
  [
    { ...required, MAX_FILE_SIZE: '3000000000' },
    /MAX_FILE_SIZE must be between 1 and 2147483647, got 3000000000/,
  ],
  [
    { ...required, UNSCANNABLE_POLICY: 'ignore' },
    /UNSCANNABLE_POLICY must be one of report, block-as-infected, got "ignore"/,
  ],
  [
    { ...required, FILE_STATUS_UNSCANNABLE: 'CLEAN' },
    /FILE_STATUS_UNSCANNABLE must differ from FILE_STATUS_CLEAN: both are "CLEAN"/,
  ],
  [
    { ...required, FILE_STATUS_INFECTED: 'x', FILE_STATUS_PROCESSING_ERROR: 'x' },
    /FILE_STATUS_PROCESSING_ERROR must differ from FILE_STATUS_INFECTED: both are "x"/,
  ],
  [{ ...required, INFECTED_ACTIONS: 'quarantine' }, /INFECTED_ACTIONS must be JSON/],
  [
    { ...required, INFECTED_ACTIONS: '{"uploads": "shred"}' },
    /INFECTED_ACTIONS\["uploads"\] must be one of quarantine, delete, got "shred"/,
  ],
  [
    { ...required, METADATA_FILE_STATUS: 'bad<key>' },
    /METADATA_FILE_STATUS must be a valid S3 tag key, got "bad<key>"/,
  ],
])('a bad environment %j is refused with an error naming the variable and value', (env, message) => {
  expect(() => loadConfig(env)).toThrow(
    expect.objectContaining({ name: 'ConfigurationError', message: expect.stringMatching(message) }),
  );
});

/** A valid value of `setting` other than its default, from what the registry says it accepts. */
function sampleValue(name: SettingName, setting: Setting): string {
  switch (setting.kind) {
    case 'integer':
      return String(setting.default === setting.min ? setting.max : setting.min);
    case 'choice':
      return setting.choices.find((choice) => choice !== setting.default) ?? '';
    case 'status':
      return `sample-${setting.default}`;
    case 'tag-key':
      return `sample-${setting.default}`;
    case 'url':
      return 'https://mirror.example.test';
    case 'list':
      return setting.choices?.[0] ?? 'https://mirror.example.test/sample.ndb';
    case 'secret-reference':
      return 'ssm:/lambda-av/sample-url';
    case 'json':
      if (name === 'ORGANIZATION') {
        return '{"hubAccount": "111111111111", "partition": "aws", "memberRoleName": "lambda-av-member"}';
      }
      return name === 'INFECTED_ACTIONS' ? '{"uploads": "delete"}' : '[{"bucket": "uploads"}]';
    default:
      return `sample-${name.toLowerCase()}`;
  }
}

const loaded = (env: Record<string, string>) => ({ scanner: loadConfig(env), cli: loadCliSettings(env) });

test.each(Object.entries(SETTINGS) as Array<[SettingName, Setting]>)(
  '%s takes effect: a valid value other than its default changes the loaded configuration',
  (name, setting) => {
    const value = sampleValue(name, setting);

    expect(loaded({ ...required, [name]: value })).not.toEqual(loaded(required));
  },
);

describe('URLs read at run time (CLAMAV_MIRROR_URL_SECRET, CLAMAV_CUSTOM_DATABASE_URL_SECRETS)', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:lambda-av/mirror-AbCdEf';

  test('a Secrets Manager reference with a JSON field, and SSM names with and without a leading slash', () => {
    const { updater } = loadConfig({
      ...required,
      CLAMAV_MIRROR_URL_SECRET: `secretsmanager:${arn}#url`,
      CLAMAV_CUSTOM_DATABASE_URL_SECRETS: 'ssm:/lambda-av/sigs-url, ssm:plain-name',
    });

    expect(updater.mirrorUrl).toBeUndefined();
    expect(updater.mirrorUrlSecret).toEqual({
      setting: 'CLAMAV_MIRROR_URL_SECRET',
      service: 'secretsmanager',
      id: arn,
      jsonField: 'url',
      protocols: ['http:', 'https:'],
    });
    expect(updater.customDatabaseUrlSecrets).toEqual([
      expect.objectContaining({
        setting: 'CLAMAV_CUSTOM_DATABASE_URL_SECRETS[0]',
        service: 'ssm',
        id: '/lambda-av/sigs-url',
      }),
      expect.objectContaining({
        setting: 'CLAMAV_CUSTOM_DATABASE_URL_SECRETS[1]',
        service: 'ssm',
        id: 'plain-name',
      }),
    ]);
  });

  test('none by default', () => {
    const { updater } = loadConfig(required);

    expect(updater.mirrorUrlSecret).toBeUndefined();
    expect(updater.customDatabaseUrlSecrets).toEqual([]);
  });

  test.each([
    [{ CLAMAV_MIRROR_URL: 'https://mirror.example.test', CLAMAV_MIRROR_URL_SECRET: 'ssm:/m' }, /both set/],
    [
      { CLAMAV_MIRROR_URL_SECRET: 'vault:/m' },
      /CLAMAV_MIRROR_URL_SECRET must be secretsmanager:.* got "vault:\/m"/,
    ],
    [{ CLAMAV_MIRROR_URL_SECRET: 'ssm:/a,ssm:/b' }, /CLAMAV_MIRROR_URL_SECRET holds one reference/],
    [{ CLAMAV_MIRROR_URL_SECRET: 'ssm:/m#url' }, /CLAMAV_MIRROR_URL_SECRET must be/],
    [{ CLAMAV_MIRROR_URL_SECRET: 'ssm:a b' }, /CLAMAV_MIRROR_URL_SECRET must be/],
    [
      { CLAMAV_CUSTOM_DATABASE_URL_SECRETS: 'ssm:/ok,https://sigs.example.test/a.ndb' },
      /CLAMAV_CUSTOM_DATABASE_URL_SECRETS\[1\] must be/,
    ],
  ])('a malformed reference %j is a ConfigurationError', (env, message) => {
    expect(() => loadConfig({ ...required, ...env })).toThrow(
      expect.objectContaining({ name: 'ConfigurationError', message: expect.stringMatching(message) }),
    );
  });
});

test.each([
  [
    'https://sigs.example.com/x.ndb?sig=abc',
    /CLAMAV_CUSTOM_DATABASE_URLS\[1\] must not have a query or fragment/,
  ],
  [
    'https://sigs.example.com/x.ndb#part',
    /CLAMAV_CUSTOM_DATABASE_URLS\[1\] must not have a query or fragment/,
  ],
  ['https://sigs.example.com/dbs/', /CLAMAV_CUSTOM_DATABASE_URLS\[1\] must end in the database's file name/],
])('a custom database URL freshclam would misname is refused: %s', (url, message) => {
  expect(() =>
    loadConfig({
      CLAMAV_BUCKET_NAME: 'defs',
      CLAMAV_CUSTOM_DATABASE_URLS: `https://sigs.example.com/ok.ndb,${url}`,
    }),
  ).toThrow(message);
});
