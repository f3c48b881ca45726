import { Match } from 'aws-cdk-lib/assertions';
import { allowedActions, buildLambdaAv, logicalId, statementsOfRole } from './support';

const { stack, av, template } = buildLambdaAv();
const canaryId = logicalId(stack, av.canary.bucket);

test('the canary bucket is encrypted, private, TLS only, and its objects expire', () => {
  const bucket = template.findResources('AWS::S3::Bucket')[canaryId]?.Properties;

  expect(bucket).toMatchObject({
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    LifecycleConfiguration: {
      Rules: [{ Id: 'ExpireCanaryObjects', ExpirationInDays: 7, Status: 'Enabled' }],
    },
  });
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    Bucket: { Ref: canaryId },
    PolicyDocument: {
      Statement: [
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ],
    },
  });
});

test('the updater writes the canary objects, and only under their prefix', () => {
  const updater = statementsOfRole(template, stack, av.updater.role);

  expect(allowedActions(updater, canaryId)).toEqual(['s3:PutObject']);
  expect(JSON.stringify(updater.filter((s) => JSON.stringify(s.Resource).includes(canaryId)))).toContain(
    '/lambda-av-canary/*',
  );
});

test('the scanner reads and tags the canary, the scan machine heads it, as for any scanned bucket', () => {
  expect(allowedActions(statementsOfRole(template, stack, av.scanner.role), canaryId)).toEqual([
    's3:GetObject',
    's3:GetObjectTagging',
    's3:GetObjectVersion',
    's3:GetObjectVersionTagging',
    's3:ListBucket',
    's3:PutObjectTagging',
    's3:PutObjectVersionTagging',
  ]);
  expect(allowedActions(statementsOfRole(template, stack, av.scanStateMachine.role), canaryId)).toEqual([
    's3:GetObject',
    's3:GetObjectVersion',
    's3:ListBucket',
  ]);
});

test('both functions know the canary bucket; the updater judges verdicts by the same status names', () => {
  for (const handler of ['index.scanFileHandler', 'index.updateDefinitionsHandler']) {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: handler,
      Environment: {
        Variables: Match.objectLike({
          CANARY_BUCKET_NAME: { Ref: canaryId },
          FILE_STATUS_CLEAN: 'CLEAN',
          FILE_STATUS_INFECTED: 'INFECTED',
          FILE_STATUS_UNSCANNABLE: 'UNSCANNABLE',
        }),
      },
    });
  }
});

test('no upload rule watches the canary bucket: canary scans start only from the update workflow', () => {
  const rules = Object.values(template.findResources('AWS::Events::Rule'));

  expect(JSON.stringify(rules)).not.toContain(canaryId);
});
