import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildLambdaAv, identityStatements, logicalId, type Statement } from './support';

/**
 * Actions that AWS supports only with Resource "*", and which CDK grants a state machine for its
 * logging (CloudWatch Logs vended log delivery) and tracing (X-Ray) configuration.
 */
const STAR_ONLY_ACTIONS = new Set([
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);

// Everything the construct can create: scanned buckets created in the stack and imported, KMS,
// provisioned concurrency, fan-out warming.
const { stack, av, template } = buildLambdaAv((scope) => ({
  scanBuckets: [
    {
      bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads'),
      kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc-123',
    },
    { bucket: new s3.Bucket(scope, 'Own', { enforceSSL: true }) },
  ],
  provisionedConcurrency: 2,
  warmConcurrency: 3,
}));
const statements = identityStatements(template);
const bucketPolicyStatements: Statement[] = Object.values(
  template.findResources('AWS::S3::BucketPolicy'),
).flatMap((policy) => policy.Properties.PolicyDocument.Statement);

test('no identity policy allows a wildcard S3 action', () => {
  const wildcards = statements.filter(
    ({ statement }) =>
      statement.Effect === 'Allow' && statement.Action.some((a) => a.startsWith('s3:') && a.includes('*')),
  );

  expect(wildcards).toEqual([]);
});

test('s3:* appears only in bucket policies denying requests without TLS', () => {
  const all = [...statements.map(({ statement }) => statement), ...bucketPolicyStatements];
  const withS3Star = all.filter((s) => [s.Action].flat().includes('s3:*'));

  expect(withS3Star.length).toBeGreaterThan(0);
  for (const statement of withS3Star) {
    expect(statement).toMatchObject({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  }
});

test("cloudwatch:PutMetricData (which has no resource) is the updater's (the canary) and the scanner's (the sweep's count), limited to the LambdaAV namespace", () => {
  const putters = statements.filter(({ statement }) => statement.Action.includes('cloudwatch:PutMetricData'));

  expect(putters).toEqual([
    {
      policy: logicalId(stack, av.scanner.role?.node.findChild('DefaultPolicy') as never),
      statement: expect.objectContaining({
        Action: ['cloudwatch:PutMetricData'],
        Resource: ['*'],
        Condition: { StringEquals: { 'cloudwatch:namespace': 'LambdaAV' } },
      }),
    },
    {
      policy: logicalId(stack, av.updater.role?.node.findChild('DefaultPolicy') as never),
      statement: expect.objectContaining({
        Action: ['cloudwatch:PutMetricData'],
        Resource: ['*'],
        Condition: { StringEquals: { 'cloudwatch:namespace': 'LambdaAV' } },
      }),
    },
  ]);
});

test('Resource "*" only for the logs delivery and X-Ray actions that support nothing narrower', () => {
  const star = statements.filter(
    ({ statement }) =>
      statement.Effect === 'Allow' &&
      statement.Resource.includes('*') &&
      !statement.Action.includes('cloudwatch:PutMetricData'),
  );

  expect(star.length).toBeGreaterThan(0);
  for (const { statement } of star) {
    expect(statement.Action.filter((action) => !STAR_ONLY_ACTIONS.has(action))).toEqual([]);
  }
  expect(star.map(({ policy }) => policy).sort()).toEqual(
    [av.scanStateMachine.role, av.updateStateMachine.role, av.bulkScan.stateMachine.role]
      .map((role) => logicalId(stack, role.node.findChild('DefaultPolicy') as never))
      .sort(),
  );
});

test('only the updater may put or delete objects, but for the bulk scan reports in their own bucket', () => {
  const writers = statements.filter(
    ({ statement }) =>
      statement.Effect === 'Allow' &&
      statement.Action.some((a) => a === 's3:PutObject' || a.startsWith('s3:DeleteObject')),
  );
  const updaterPolicy = logicalId(stack, av.updater.role?.node.findChild('DefaultPolicy') as never);
  const bulkPolicy = logicalId(stack, av.bulkScan.stateMachine.role.node.findChild('DefaultPolicy') as never);

  expect([...new Set(writers.map(({ policy }) => policy))].sort()).toEqual(
    [bulkPolicy, updaterPolicy].sort(),
  );
  const reports = logicalId(stack, av.bulkScan.reportBucket);
  for (const { statement } of writers.filter(({ policy }) => policy === bulkPolicy)) {
    expect(statement.Action).not.toContain('s3:DeleteObject');
    expect(JSON.stringify(statement.Resource)).toContain(reports);
    expect(JSON.stringify(statement.Resource)).toContain('/bulk-scan/*');
  }
});

test('object tags may be written by the scanner only', () => {
  const taggers = statements.filter(
    ({ statement }) =>
      statement.Effect === 'Allow' &&
      statement.Action.some((a) => a.startsWith('s3:PutObject') && a.endsWith('Tagging')),
  );
  const scannerPolicy = logicalId(stack, av.scanner.role?.node.findChild('DefaultPolicy') as never);

  expect([...new Set(taggers.map(({ policy }) => policy))]).toEqual([scannerPolicy]);
});
