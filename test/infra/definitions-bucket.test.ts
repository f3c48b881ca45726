import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { allowedActions, buildLambdaAv, logicalId, statementsOfRole } from './support';

describe('a new definitions bucket', () => {
  const { stack, av, template } = buildLambdaAv();
  const bucketId = logicalId(stack, av.definitions.bucket as never);
  const bucket = template.findResources('AWS::S3::Bucket')[bucketId];
  const policy = Object.values(
    template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }),
  )[0];
  const bucketPolicy: Array<Record<string, unknown>> = policy?.Properties.PolicyDocument.Statement ?? [];

  test('is encrypted, versioned, blocks public access and logs access to another bucket', () => {
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.any(String) } },
    });
    expect(bucket?.Properties.LoggingConfiguration.DestinationBucketName.Ref).not.toBe(bucketId);
  });

  test('is retained when the stack is deleted', () => {
    expect(bucket?.DeletionPolicy).toBe('Retain');
  });

  test('refuses plain HTTP', () => {
    expect(bucketPolicy).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  test('lets nobody but the updater role write or delete under the prefix', () => {
    const updaterRoleId = logicalId(stack, av.updater.role as never);

    expect(bucketPolicy).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: expect.arrayContaining(['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']),
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/av-definitions/*']] },
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [updaterRoleId, 'Arn'] } } },
      }),
    );
  });

  test('the scanner lists the prefix only and reads objects under it, nothing more', () => {
    const statements = statementsOfRole(template, stack, av.scanner.role);

    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [{ 'Fn::GetAtt': [bucketId, 'Arn'] }],
        Condition: { StringLike: { 's3:prefix': ['av-definitions/', 'av-definitions/*'] } },
      }),
    );
    expect(allowedActions(statements, bucketId)).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(JSON.stringify(statements)).toContain(`"/av-definitions/*"`);
  });

  test('the updater reads, writes and deletes under the prefix only', () => {
    const statements = statementsOfRole(template, stack, av.updater.role);
    const objectStatements = statements.filter((s) =>
      JSON.stringify(s.Resource).includes('/av-definitions/*'),
    );

    expect(objectStatements.flatMap((s) => s.Action).sort()).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ]);
    // The prefix, and the staging area of imports (read and removed, never written).
    expect(allowedActions(statements, bucketId)).toEqual([
      's3:DeleteObject',
      's3:DeleteObject',
      's3:GetObject',
      's3:GetObject',
      's3:ListBucket',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });

  test('the updater may list, read and remove staged imports, and write nothing there', () => {
    const statements = statementsOfRole(template, stack, av.updater.role);

    expect(allowedActions(statements, '/lambda-av-import/*')).toEqual(['s3:DeleteObject', 's3:GetObject']);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['s3:ListBucket'],
        Condition: { StringLike: { 's3:prefix': ['lambda-av-import/*'] } },
      }),
    );
  });

  test('no scanner can read staged imports: not in its policy, and denied by the bucket policy', () => {
    const scanner = statementsOfRole(template, stack, av.scanner.role);
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p) =>
      JSON.stringify(p.Properties.Bucket).includes(bucketId),
    );

    expect(JSON.stringify(scanner)).not.toContain('lambda-av-import');
    expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Sid: 'OnlyTheUpdaterReadsStagedDefinitions',
        Effect: 'Deny',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': expect.anything() } },
      }),
    );
  });

  test('staged imports left behind expire after a week', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'ExpireStagedImports', Prefix: 'lambda-av-import/', ExpirationInDays: 7 }),
        ]),
      },
    });
  });
});

describe('definitions bucket options', () => {
  test('an existing bucket is used by name, without creating one or changing its policy', () => {
    const { template } = buildLambdaAv((stack) => ({
      definitionsBucket: s3.Bucket.fromBucketName(stack, 'Existing', 'my-definitions'),
      definitionsPrefix: 'clamav/db',
    }));

    // The canary bucket, the bulk scan report bucket and their TLS policies only.
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourceCountIs('AWS::S3::BucketPolicy', 2);
    expect(JSON.stringify(template.findResources('AWS::S3::BucketPolicy'))).not.toContain('my-definitions');
    const scanner = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.scanFileHandler' } }),
    )[0];
    expect(scanner?.Properties.Environment.Variables).toMatchObject({
      CLAMAV_BUCKET_NAME: 'my-definitions',
      PATH_TO_AV_DEFINITIONS: 'clamav/db',
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(
      ':s3:::my-definitions/clamav/db/*',
    );
  });

  test('an SSE-KMS definitions bucket: the scanner may decrypt, the updater encrypt and decrypt', () => {
    const { stack, av, template } = buildLambdaAv((scope) => ({
      definitionsBucket: s3.Bucket.fromBucketName(scope, 'Existing', 'my-definitions'),
      definitionsBucketKey: kms.Key.fromKeyArn(
        scope,
        'Key',
        'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
      ),
    }));
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555';

    expect(allowedActions(statementsOfRole(template, stack, av.scanner.role), keyArn)).toEqual([
      'kms:Decrypt',
    ]);
    expect(allowedActions(statementsOfRole(template, stack, av.updater.role), keyArn)).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']),
    );
  });

  test('an empty prefix means the whole bucket, without a prefix condition', () => {
    const { stack, av, template } = buildLambdaAv(() => ({ definitionsPrefix: '' }));
    const statements = statementsOfRole(template, stack, av.scanner.role);

    expect(statements.find((s) => s.Action.includes('s3:ListBucket'))?.Condition).toBeUndefined();
    expect(JSON.stringify(statements)).toContain('"/*"');
  });
});
