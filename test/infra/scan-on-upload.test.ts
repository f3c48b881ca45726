import * as s3 from 'aws-cdk-lib/aws-s3';
import { allowedActions, buildLambdaAv, logicalId, statementsOfRole } from './support';

const READ_AND_TAG = [
  's3:GetObject',
  's3:GetObjectTagging',
  's3:GetObjectVersion',
  's3:GetObjectVersionTagging',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
];
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555';

describe('existing buckets named in the props', () => {
  const { stack, av, template } = buildLambdaAv((scope) => ({
    scanBuckets: [
      { bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads') },
      { bucket: s3.Bucket.fromBucketName(scope, 'Private', 'private-uploads'), kmsKeyArn: KEY_ARN },
      { bucket: s3.Bucket.fromBucketName(scope, 'Manual', 'manual'), scanOnUpload: false },
    ],
  }));
  const scanner = statementsOfRole(template, stack, av.scanner.role);
  const rules = Object.values(template.findResources('AWS::Events::Rule')).map((rule) => rule.Properties);
  const uploadRules = rules.filter((rule) => rule.EventPattern);

  test.each(['uploads', 'private-uploads'])(
    'an object created in %s starts a scan execution with the whole event',
    (name) => {
      expect(uploadRules).toContainEqual(
        expect.objectContaining({
          EventPattern: {
            source: ['aws.s3'],
            'detail-type': ['Object Created'],
            detail: { bucket: { name: [name] } },
          },
          Targets: [
            {
              Arn: { Ref: logicalId(stack, av.scanStateMachine) },
              Id: expect.any(String),
              RoleArn: expect.anything(),
              // Retried for a day, then kept: nothing is dropped between S3 and the machine.
              RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
              DeadLetterConfig: {
                Arn: { 'Fn::GetAtt': [logicalId(stack, av.uploadDeadLetterQueue as never), 'Arn'] },
              },
            },
          ],
        }),
      );
    },
  );

  test.each(['uploads', 'private-uploads'])(
    'EventBridge notifications of %s are turned on, keeping its other notification configurations',
    (name) => {
      // Managed: false makes CDK's handler read the bucket's configuration and add to it.
      template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: name,
        NotificationConfiguration: { EventBridgeConfiguration: {} },
        Managed: false,
      });
    },
  );

  test('the notifications handler may read and write the notification configuration of those buckets only', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('BucketNotificationsHandler'))
      .flatMap(
        (policy) =>
          policy.Properties.PolicyDocument.Statement as Array<{
            Action: string | string[];
            Resource: unknown;
          }>,
      );

    for (const name of ['uploads', 'private-uploads']) {
      const actions = statements
        .filter((statement) => JSON.stringify(statement.Resource).includes(`:s3:::${name}"`))
        .flatMap((statement) => statement.Action)
        .sort();
      expect(actions).toEqual(['s3:GetBucketNotification', 's3:PutBucketNotification']);
    }
    expect(JSON.stringify(statements)).not.toContain(':s3:::manual');
  });

  test('the scanner may list each scanned bucket, so a missing object is a 404 and not a 403', () => {
    for (const name of ['uploads', 'private-uploads', 'manual']) {
      expect(allowedActions(scanner, `:s3:::${name}"`)).toEqual(['s3:ListBucket']);
    }
  });

  test('the dead-letter queue is encrypted and TLS only; its depth and each rule’s lost events raise alarms', () => {
    const queue =
      template.findResources('AWS::SQS::Queue')[logicalId(stack, av.uploadDeadLetterQueue as never)];
    expect(queue?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    expect(policies).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    // EventBridge may send there, for these rules only.
    expect(policies).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': expect.anything() } },
      }),
    );
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const depth = alarms[logicalId(stack, av.monitoring.uploadDeadLettersAlarm as never)]?.Properties;
    expect(depth).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
    });
    expect(av.monitoring.uploadEventsLostAlarms).toHaveLength(2);
    for (const [i, rule] of av.uploadRules.entries()) {
      const lost = alarms[logicalId(stack, av.monitoring.uploadEventsLostAlarms[i] as never)]?.Properties;
      const names = (
        (lost?.Metrics ?? []) as Array<{
          MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } };
        }>
      ).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
      expect(names.map((m) => m.MetricName).sort()).toEqual([
        'FailedInvocations',
        'InvocationsFailedToBeSentToDlq',
      ]);
      for (const m of names)
        expect(m.Dimensions).toEqual([{ Name: 'RuleName', Value: { Ref: logicalId(stack, rule) } }]);
    }
  });

  test('a bucket with scanOnUpload false gets no rule', () => {
    expect(uploadRules).toHaveLength(2);
    expect(JSON.stringify(uploadRules)).not.toContain('"manual"');
  });

  test('EventBridge may start executions of the scan machine only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'states:StartExecution',
            Effect: 'Allow',
            Resource: { Ref: logicalId(stack, av.scanStateMachine) },
          },
        ],
      },
    });
  });

  test.each(['uploads', 'private-uploads', 'manual'])(
    'the scanner may read and tag the objects of %s, nothing else',
    (name) => {
      expect(allowedActions(scanner, `:s3:::${name}/*`)).toEqual(READ_AND_TAG);
    },
  );

  test('the scanner may only decrypt with the key given for a bucket', () => {
    expect(allowedActions(scanner, KEY_ARN)).toEqual(['kms:Decrypt']);
    expect(allowedActions(scanner).filter((action) => action.startsWith('kms:'))).toEqual(['kms:Decrypt']);
  });

  test('the scanner cannot write or delete objects in any bucket', () => {
    const writes = allowedActions(scanner).filter((action) =>
      /^s3:(Put|Delete)(?!ObjectTagging|ObjectVersionTagging)/.test(action),
    );

    expect(writes).toEqual([]);
    expect(allowedActions(scanner)).not.toContain('s3:DeleteObjectTagging');
  });
});

test('eventBridgeNotifications false leaves the bucket notifications alone but still scans on upload', () => {
  const { template } = buildLambdaAv((scope) => ({
    scanBuckets: [
      { bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads'), eventBridgeNotifications: false },
    ],
  }));

  expect(template.findResources('Custom::S3BucketNotifications')).toEqual({});
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { detail: { bucket: { name: ['uploads'] } } },
  });
});

describe('a bucket created in the same stack', () => {
  const { stack, av, template } = buildLambdaAv((scope) => ({
    scanBuckets: [{ bucket: new s3.Bucket(scope, 'Uploads', { enforceSSL: true }) }],
  }));

  test('gets EventBridge notifications turned on', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });

  test('is scanned on upload, matched by its generated name', () => {
    const bucketId = stack.getLogicalId(stack.node.findChild('Uploads').node.defaultChild as never);

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { bucket: { name: [{ Ref: bucketId }] } } },
      Targets: [{ Arn: { Ref: logicalId(stack, av.scanStateMachine) } }],
    });
  });
});

test('without scanned buckets the scanner reads the definitions and scans the canary only', () => {
  const { stack, av, template } = buildLambdaAv();
  const canaryId = logicalId(stack, av.canary.bucket);
  const objectActions = statementsOfRole(template, stack, av.scanner.role).filter((s) =>
    s.Action.some((action) => action.startsWith('s3:')),
  );
  const outsideCanary = objectActions.filter((s) => !JSON.stringify(s.Resource).includes(canaryId));

  expect(JSON.stringify(objectActions.map((s) => s.Resource))).not.toMatch(/s3:::/);
  expect(outsideCanary.flatMap((s) => s.Action).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
  expect(allowedActions(objectActions, canaryId)).toEqual([...READ_AND_TAG, 's3:ListBucket'].sort());
});
