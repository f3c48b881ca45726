import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { OnInfected, SecretUrl } from '../../infra';
import { DEPLOYED_SETTING_NAMES, SETTINGS } from '../../src/settings';
import { buildLambdaAv } from './support';

/** Every option that adds a variable: a mirror, actions on INFECTED (quarantine too), rescans. */
const built = buildLambdaAv((scope) => {
  const uploads = s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads');
  return {
    mirrorUrl: 'https://mirror.example.com',
    organization: { organizationId: 'o-abcdefghij' },
    scanBuckets: [{ bucket: uploads, onInfected: OnInfected.QUARANTINE }],
    bulkScan: { rescanAfterUpdate: { targets: [{ bucket: uploads }], window: Duration.days(30) } },
  };
});

/** The secret mirror excludes the plain one: the variables it adds come from a second stack. */
const withSecrets = buildLambdaAv(() => ({
  mirrorUrlSecret: SecretUrl.fromSsmParameterName('/lambda-av/mirror-url'),
  customDatabaseUrlSecrets: [SecretUrl.fromSsmParameterName('/lambda-av/sigs-url')],
}));

const HANDLERS = ['index.scanFileHandler', 'index.updateDefinitionsHandler', 'index.actOnInfectedHandler'];

/** The variables of each lambda-av function, by handler. */
function variablesByHandler(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { template } of [built, withSecrets]) {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const handler = fn.Properties.Handler as string;
      if (!HANDLERS.includes(handler)) continue;
      const names = [...(out.get(handler) ?? []), ...Object.keys(fn.Properties.Environment?.Variables ?? {})];
      out.set(handler, [...new Set(names)]);
    }
  }
  return out;
}

test('each lambda-av function is configured', () => {
  expect([...variablesByHandler().keys()].sort()).toEqual([...HANDLERS].sort());
});

test.each(HANDLERS)('%s is given only variables of the settings registry (src/settings.ts)', (handler) => {
  const names = variablesByHandler().get(handler) ?? [];

  const unknown = names.filter((name) => !(DEPLOYED_SETTING_NAMES as readonly string[]).includes(name));

  expect(names.length).toBeGreaterThan(0);
  expect(unknown).toEqual([]);
});

test('every setting the registry says the CDK app sets is set on some function', () => {
  const set = new Set([...variablesByHandler().values()].flat());

  expect(DEPLOYED_SETTING_NAMES.filter((name) => !set.has(name))).toEqual([]);
});

test('the scanner gets the registry default where the construct has no prop value of its own', () => {
  const scanner = Object.values(built.template.findResources('AWS::Lambda::Function')).find(
    (fn) => fn.Properties.Handler === 'index.scanFileHandler',
  );

  expect(scanner?.Properties.Environment.Variables).toMatchObject({
    CLAMD_RELOAD_STRATEGY: SETTINGS.CLAMD_RELOAD_STRATEGY.default,
    METADATA_FILE_STATUS: SETTINGS.METADATA_FILE_STATUS.default,
    UNSCANNABLE_POLICY: SETTINGS.UNSCANNABLE_POLICY.default,
    MAX_FILE_SIZE: String(SETTINGS.MAX_FILE_SIZE.default),
    WARM_CONCURRENCY: String(SETTINGS.WARM_CONCURRENCY.default),
  });
});
