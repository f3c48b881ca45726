import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaAv, OnInfected, TagPreset } from '../../infra';
import { objectCreatedPattern } from '../../infra/scan-filter';
import {
  allowedActions,
  buildLambdaAv,
  identityStatements,
  logicalId,
  standInCode,
  statementsOfRole,
  testApp,
} from './support';

const envOf = (built: ReturnType<typeof buildLambdaAv>, fn: { node: { defaultChild?: unknown } }) =>
  built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack, fn)]?.Properties.Environment
    .Variables as Record<string, unknown>;

describe('result events', () => {
  const built = buildLambdaAv((scope) => ({
    scanBuckets: [{ bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads') }],
  }));

  test('the scanner publishes to the default bus, and may put events there only', () => {
    expect(envOf(built, built.av.scanner)).toMatchObject({ RESULT_EVENT_BUS: 'default' });
    const statements = statementsOfRole(built.template, built.stack, built.av.scanner.role);
    const put = statements.filter((s) => s.Action.includes('events:PutEvents'));
    expect(put).toHaveLength(1);
    expect(JSON.stringify(put[0]?.Resource)).toContain(':event-bus/default');
  });

  test('without an action, nothing is created to act and the scanner keeps read-and-tag only', () => {
    expect(built.av.infectedActionsWorkflow).toBeUndefined();
    expect(envOf(built, built.av.scanner)).not.toHaveProperty('INFECTED_ACTIONS');
    const everything = identityStatements(built.template).map((s) => s.statement);
    const writes = allowedActions(everything, 'uploads').filter((a) =>
      /^s3:(PutObject|DeleteObject|DeleteObjectVersion)$/.test(a),
    );
    expect(writes).toEqual([]);
  });

  test('a bus of the stack’s own is used instead, when given', () => {
    const own = buildLambdaAv((scope) => ({ resultEventBus: new events.EventBus(scope, 'Results') }));
    const bus = own.template.findResources('AWS::Events::EventBus');
    expect(envOf(own, own.av.scanner).RESULT_EVENT_BUS).toEqual({ Ref: Object.keys(bus)[0] });
  });
});

describe('quarantine', () => {
  const reader = (scope: Stack) =>
    iam.Role.fromRoleArn(scope, 'Forensics', 'arn:aws:iam::111122223333:role/forensics');
  const built = buildLambdaAv((scope) => ({
    scanBuckets: [
      { bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads'), onInfected: OnInfected.QUARANTINE },
      { bucket: s3.Bucket.fromBucketName(scope, 'Inbox', 'inbox'), onInfected: OnInfected.DELETE },
      { bucket: s3.Bucket.fromBucketName(scope, 'Plain', 'plain') },
    ],
    quarantineReadRole: reader(scope),
    quarantineRetention: undefined,
  }));
  const workflow = built.av.infectedActionsWorkflow;
  const quarantine = workflow?.quarantineBucketOrUndefined;

  test('the scanner names each bucket’s action; the actions function checks events against the same map', () => {
    const map = { uploads: 'quarantine', inbox: 'delete' };
    expect(JSON.parse(String(envOf(built, built.av.scanner).INFECTED_ACTIONS))).toEqual(map);
    const actionsEnv = envOf(built, workflow?.function as never);
    expect(JSON.parse(String(actionsEnv.INFECTED_ACTIONS))).toEqual(map);
    expect(actionsEnv.QUARANTINE_BUCKET_NAME).toEqual({ Ref: logicalId(built.stack, quarantine as never) });
  });

  test('the quarantine bucket is encrypted, private, TLS only, versioned, expiring, and readable by the named role only', () => {
    const bucket =
      built.template.findResources('AWS::S3::Bucket')[logicalId(built.stack, quarantine as never)]
        ?.Properties;
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
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          expect.objectContaining({
            ExpirationInDays: 90,
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
          }),
        ],
      },
    });
    const policy = Object.values(built.template.findResources('AWS::S3::BucketPolicy')).find(
      (p) =>
        JSON.stringify(p.Properties.Bucket) ===
        JSON.stringify({ Ref: logicalId(built.stack, quarantine as never) }),
    );
    const statements = policy?.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'LambdaAvOnlyNamedRolesReadQuarantine',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': [
              { 'Fn::GetAtt': [logicalId(built.stack, workflow?.role as never), 'Arn'] },
              'arn:aws:iam::111122223333:role/forensics',
            ],
          },
        },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  test('only the actions function may delete from the scanned buckets or write to the quarantine bucket', () => {
    const actions = statementsOfRole(built.template, built.stack, workflow?.role);
    expect(allowedActions(actions, 'uploads/*')).toEqual(
      expect.arrayContaining([
        's3:DeleteObject',
        's3:DeleteObjectVersion',
        's3:GetObject',
        's3:GetObjectTagging',
      ]),
    );
    expect(allowedActions(actions, 'inbox/*')).toContain('s3:DeleteObjectVersion');
    expect(allowedActions(actions, 'plain')).toEqual([]);
    const quarantineId = logicalId(built.stack, quarantine as never);
    expect(allowedActions(actions, quarantineId)).toEqual(
      expect.arrayContaining(['s3:PutObject', 's3:PutObjectTagging']),
    );
    const deleters = identityStatements(built.template).filter(
      (s) =>
        s.statement.Effect === 'Allow' &&
        s.statement.Action.includes('s3:DeleteObject') &&
        /uploads|inbox|plain/.test(JSON.stringify(s.statement.Resource)),
    );
    expect(new Set(deleters.map((s) => s.policy)).size).toBe(1);
    expect(
      allowedActions(statementsOfRole(built.template, built.stack, built.av.scanner.role)),
    ).not.toContain('s3:DeleteObject');
  });

  test('a rule on the result bus starts the actions workflow for results naming an action, with retries and a dead-letter queue', () => {
    const rule =
      built.template.findResources('AWS::Events::Rule')[logicalId(built.stack, workflow?.rule as never)]
        ?.Properties;
    expect(rule).toMatchObject({
      EventPattern: {
        source: ['lambda-av'],
        'detail-type': ['Scan Result'],
        detail: { action: ['quarantine', 'delete'] },
      },
      Targets: [
        expect.objectContaining({
          Arn: { Ref: logicalId(built.stack, workflow?.stateMachine as never) },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalId(built.stack, workflow?.deadLetterQueue as never), 'Arn'] },
          },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        }),
      ],
    });
    expect(rule?.EventBusName).toBe('default');
  });

  test('failed actions and undelivered results raise alarms', () => {
    expect(built.av.monitoring.infectedActionsFailedAlarm).toBeDefined();
    expect(built.av.monitoring.infectedActionDeadLettersAlarm).toBeDefined();
  });

  test('delete only: no quarantine bucket is created', () => {
    const deleting = buildLambdaAv((scope) => ({
      scanBuckets: [
        { bucket: s3.Bucket.fromBucketName(scope, 'Inbox', 'inbox'), onInfected: OnInfected.DELETE },
      ],
    }));
    expect(deleting.av.infectedActionsWorkflow?.quarantineBucketOrUndefined).toBeUndefined();
  });

  test('a bucket added later with an action brings the workflow and its alarms', () => {
    const later = buildLambdaAv();
    const app = testApp();
    const stack = new Stack(app, 'Later');
    const av = new LambdaAv(stack, 'LambdaAv', { code: standInCode() });
    av.addScanBucket({
      bucket: s3.Bucket.fromBucketName(stack, 'Late', 'late'),
      onInfected: OnInfected.QUARANTINE,
    });
    expect(later.av.infectedActionsWorkflow).toBeUndefined();
    expect(av.infectedActionsWorkflow).toBeDefined();
    expect(av.monitoring.infectedActionsFailedAlarm).toBeDefined();
  });
});

describe('block reads until CLEAN', () => {
  const built = buildLambdaAv((scope) => ({
    scanBuckets: [
      {
        bucket: new s3.Bucket(scope, 'Uploads', { enforceSSL: true }),
        blockReadsUntilClean: true,
        onInfected: OnInfected.QUARANTINE,
        readExemptRoles: [
          iam.Role.fromRoleArn(scope, 'Thumbnailer', 'arn:aws:iam::111122223333:role/thumbnailer'),
        ],
      },
    ],
  }));

  test('the bucket policy denies reads unless CLEAN, exempting the scanner, the scan machine, the actions function and the named roles', () => {
    const policies = Object.values(built.template.findResources('AWS::S3::BucketPolicy'));
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    const read = statements.find((s) => s.Sid === 'LambdaAvReadOnlyWhenClean');
    expect(read).toMatchObject({
      Effect: 'Deny',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Condition: { StringNotEquals: { 's3:ExistingObjectTag/av-status': 'CLEAN' } },
    });
    const exempt = JSON.stringify(
      (read?.Condition as Record<string, Record<string, unknown>> | undefined)?.ArnNotEquals,
    );
    for (const role of [
      built.av.scanner.role,
      built.av.scanStateMachine.role,
      built.av.infectedActionsWorkflow?.role,
    ]) {
      expect(exempt).toContain(logicalId(built.stack, role as never));
    }
    expect(exempt).toContain('arn:aws:iam::111122223333:role/thumbnailer');
    expect(statements.map((s) => s.Sid)).toEqual(
      expect.arrayContaining([
        'LambdaAvOnlyTheScannerSetsScanTags',
        'LambdaAvOnlyTheScannerRetagsScannedObjects',
        'LambdaAvNoCopiesFromOtherBuckets',
      ]),
    );
  });

  test('with the GuardDuty preset, CLEAN is NO_THREATS_FOUND on GuardDutyMalwareScanStatus', () => {
    const preset = buildLambdaAv((scope) => ({
      tagPreset: TagPreset.GUARDDUTY,
      scanBuckets: [
        { bucket: new s3.Bucket(scope, 'Uploads', { enforceSSL: true }), blockReadsUntilClean: true },
      ],
    }));
    const statements = Object.values(preset.template.findResources('AWS::S3::BucketPolicy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    expect(statements.find((s) => s.Sid === 'LambdaAvReadOnlyWhenClean')?.Condition).toMatchObject({
      StringNotEquals: { 's3:ExistingObjectTag/GuardDutyMalwareScanStatus': 'NO_THREATS_FOUND' },
    });
  });

  test.each([
    [
      'an imported bucket',
      (scope: Stack) => s3.Bucket.fromBucketName(scope, 'Existing', 'existing-uploads'),
      /needs the bucket in the stack of lambda-av|is imported/,
    ],
    [
      'a bucket of another stack',
      (scope: Stack) => new s3.Bucket(new Stack(scope.node.scope as never, 'Other'), 'Uploads'),
      /needs the bucket in the stack of lambda-av/,
    ],
  ])('%s is refused with where to add the statements instead', (_name, bucketOf, message) => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    expect(
      () =>
        new LambdaAv(stack, 'LambdaAv', {
          code: standInCode(),
          scanBuckets: [{ bucket: bucketOf(stack), blockReadsUntilClean: true }],
        }),
    ).toThrow(message);
  });
});

test('a bucket’s filter becomes its upload rule’s pattern', () => {
  const filter = { prefixes: ['incoming/'], suffixes: ['.pdf'], maxSize: 10_000_000 };
  const built = buildLambdaAv((scope) => ({
    scanBuckets: [{ bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads'), filter }],
  }));
  const rules = Object.values(built.template.findResources('AWS::Events::Rule')).filter((r) =>
    JSON.stringify(r.Properties.EventPattern ?? {}).includes('Object Created'),
  );

  expect(rules).toHaveLength(1);
  const expected = JSON.parse(JSON.stringify(objectCreatedPattern('uploads', filter)));
  expect(rules[0]?.Properties.EventPattern).toEqual({
    ...expected,
    'detail-type': expected.detailType,
    detailType: undefined,
  });
});

describe('the GuardDuty tag preset', () => {
  test('tags with GuardDutyMalwareScanStatus and its values', () => {
    const built = buildLambdaAv(() => ({ tagPreset: TagPreset.GUARDDUTY }));
    expect(envOf(built, built.av.scanner)).toMatchObject({
      METADATA_FILE_STATUS: 'GuardDutyMalwareScanStatus',
      FILE_STATUS_CLEAN: 'NO_THREATS_FOUND',
      FILE_STATUS_INFECTED: 'THREATS_FOUND',
      FILE_STATUS_UNSCANNABLE: 'UNSUPPORTED',
      FILE_STATUS_SKIPPED: 'UNSUPPORTED',
      FILE_STATUS_PROCESSING_ERROR: 'FAILED',
    });
  });

  test.each([{ statusTagKey: 'scan' }, { statusValues: { clean: 'OK' } }])(
    'is not combined with statusTagKey or statusValues: %j',
    (own) => {
      expect(() => buildLambdaAv(() => ({ tagPreset: TagPreset.GUARDDUTY, ...own }))).toThrow(
        /tagPreset sets statusTagKey and statusValues: give either the preset or your own, not both/,
      );
    },
  );
});
