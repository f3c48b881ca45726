import { Duration, type Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { SecretUrl } from '../../infra';
import { buildLambdaAv, statementsOfRole } from './support';

const MIRROR_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:lambda-av/mirror-AbCdEf';

/** A mirror from a JSON secret of another stack, databases from SSM: by name (with and without /) and imported, one with a key of ours. */
function withSecretUrls(stack: Stack) {
  const parameterKey = new kms.Key(stack, 'ParameterKey');
  const imported = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Imported', {
    parameterName: '/team/imported-url',
  });
  return {
    mirrorUrlSecret: SecretUrl.fromSecret(
      secretsmanager.Secret.fromSecretCompleteArn(stack, 'Mirror', MIRROR_ARN),
      'url',
    ),
    customDatabaseUrlSecrets: [
      SecretUrl.fromSsmParameterName('/lambda-av/sigs-url', parameterKey),
      SecretUrl.fromSsmParameterName('plain-sigs-url'),
      SecretUrl.fromSsmParameter(imported),
    ],
  };
}

const built = buildLambdaAv(withSecretUrls);
const resolve = (value: unknown) => built.stack.resolve(value);

/** A template value as text, pseudo parameters and references shown as ${...}. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Ref' in node) return `\${${String(node.Ref)}}`;
  if ('Fn::GetAtt' in node) return `\${${(node['Fn::GetAtt'] as string[]).join('.')}}`;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(rendered).join(separator);
  }
  return JSON.stringify(value);
}

function functionByHandler(handler: string) {
  const found = Object.values(built.template.findResources('AWS::Lambda::Function')).find(
    (fn) => fn.Properties.Handler === handler,
  );
  if (!found) throw new Error(`no ${handler}`);
  return found;
}

const updaterEnvironment = () =>
  functionByHandler('index.updateDefinitionsHandler').Properties.Environment.Variables as Record<
    string,
    unknown
  >;

const updaterStatements = () =>
  statementsOfRole(built.template, built.stack, built.av.updater.role).filter((statement) =>
    statement.Action.some((action) => /^(secretsmanager|ssm|kms):/.test(action)),
  );

test("the updater's environment holds where to read each URL, never a URL", () => {
  const environment = updaterEnvironment();

  expect(rendered(environment.CLAMAV_MIRROR_URL_SECRET)).toBe(`secretsmanager:${MIRROR_ARN}#url`);
  expect(rendered(environment.CLAMAV_CUSTOM_DATABASE_URL_SECRETS)).toBe(
    'ssm:/lambda-av/sigs-url,ssm:plain-sigs-url,ssm:/team/imported-url',
  );
  expect(environment.CLAMAV_MIRROR_URL).toBeUndefined();
  expect(environment.CLAMAV_CUSTOM_DATABASE_URLS).toBe('');
  expect(JSON.stringify(built.template.toJSON())).not.toMatch(/https?:\/\/(?!s3\.)/);
});

test('the updater may read that secret and those parameters, each by its partition-safe ARN, and nothing else', () => {
  const statements = updaterStatements().map((statement) => ({
    actions: [...statement.Action].sort(),
    resources: statement.Resource.map((resource) => rendered(resolve(resource))),
  }));

  const parameter = (name: string) =>
    `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${name}`;
  // CDK merges the three GetParameter grants into one statement.
  expect(statements).toEqual([
    { actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], resources: [MIRROR_ARN] },
    {
      actions: ['ssm:GetParameter'],
      resources: [
        parameter('lambda-av/sigs-url'),
        parameter('plain-sigs-url'),
        parameter('team/imported-url'),
      ],
    },
    { actions: ['kms:Decrypt'], resources: [expect.stringMatching(/^\$\{ParameterKey\w+\.Arn\}$/)] },
  ]);
});

test('no other function may read them', () => {
  for (const role of [built.av.scanner.role]) {
    const reads = statementsOfRole(built.template, built.stack, role).filter((statement) =>
      statement.Action.some((action) => /^(secretsmanager|ssm):/.test(action)),
    );
    expect(reads).toEqual([]);
  }
});

test('a secret mirror counts as a mirror of your own, and secret databases as databases to fetch', () => {
  const build = () =>
    buildLambdaAv((stack) => ({
      mirrorUrlSecret: SecretUrl.fromSsmParameterName('/lambda-av/mirror-url'),
      customDatabaseUrlSecrets: [SecretUrl.fromSecret(new secretsmanager.Secret(stack, 'Sigs'))],
      officialDatabases: [],
      updateInterval: Duration.minutes(15),
    }));

  expect(build).not.toThrow();
});

test.each([
  [
    'a plain and a secret mirror',
    () => ({
      mirrorUrl: 'https://mirror.example.com',
      mirrorUrlSecret: SecretUrl.fromSsmParameterName('/m'),
    }),
    /mirrorUrl and mirrorUrlSecret are both given: .*got mirrorUrl "https:\/\/mirror.example.com"/,
  ],
  [
    'a JSON field that would split the list',
    (stack: Stack) => ({
      mirrorUrlSecret: SecretUrl.fromSecret(new secretsmanager.Secret(stack, 'S'), 'a,b'),
    }),
    /jsonField may not hold #, a comma or white space, got "a,b"/,
  ],
  [
    'a hierarchy without its leading slash',
    () => ({ mirrorUrlSecret: SecretUrl.fromSsmParameterName('team/mirror') }),
    /"team\/mirror" is not an SSM parameter name/,
  ],
  [
    'a reserved prefix',
    () => ({ mirrorUrlSecret: SecretUrl.fromSsmParameterName('/aws/mirror') }),
    /"\/aws\/mirror" is not an SSM parameter name/,
  ],
  [
    'an unresolved name',
    (stack: Stack) => ({
      mirrorUrlSecret: SecretUrl.fromSsmParameterName(new secretsmanager.Secret(stack, 'S').secretName),
    }),
    /needs a literal name/,
  ],
])('%s is refused at synth', (_case, props, message) => {
  expect(() => buildLambdaAv(props)).toThrow(
    expect.objectContaining({ name: 'LambdaAvPropsError', message: expect.stringMatching(message) }),
  );
});

test('by default the updater gets no secret reference and no secret or parameter access', () => {
  const plain = buildLambdaAv();
  const variables = Object.values(plain.template.findResources('AWS::Lambda::Function')).flatMap((fn) =>
    Object.keys(fn.Properties.Environment?.Variables ?? {}),
  );
  const statements = statementsOfRole(plain.template, plain.stack, plain.av.updater.role);

  expect(variables).not.toContain('CLAMAV_MIRROR_URL_SECRET');
  expect(variables).not.toContain('CLAMAV_CUSTOM_DATABASE_URL_SECRETS');
  expect(
    statements.flatMap((statement) => statement.Action).filter((a) => /^(secretsmanager|ssm):/.test(a)),
  ).toEqual([]);
});
