import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaAv, WorkflowType } from '../../infra';
import { SCAN_EXPRESS_DEFINITION_FILE } from '../../infra/asl-definition';
import { worstCaseOfFile } from '../../infra/asl-timing';
import { allowedActions, buildLambdaAv, logicalId, standInCode, statementsOfRole, testApp } from './support';

const { app, stack, av, template } = buildLambdaAv((scope) => ({
  workflowType: WorkflowType.EXPRESS,
  scanBuckets: [{ bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads') }],
}));
const scanId = logicalId(stack, av.scanStateMachine);
const queue = av.scanQueue;

test('the scan machine is Express, from scan-express.asl.json, logging every execution with its data', () => {
  const machine = template.findResources('AWS::StepFunctions::StateMachine')[scanId]?.Properties;

  expect(machine).toMatchObject({
    StateMachineType: 'EXPRESS',
    LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    DefinitionSubstitutions: { MaxReceiveCount: '6', MaxFileSize: '314572800' },
  });
  // The definition asset CDK staged for the machine is the Express file, byte for byte.
  const key = String(machine?.DefinitionS3Location?.Key);
  expect(readFileSync(path.join(app.outdir, `asset.${key}`), 'utf8')).toBe(
    readFileSync(SCAN_EXPRESS_DEFINITION_FILE, 'utf8'),
  );
});

test('every path through the Express definition ends within 5 minutes, less a margin', () => {
  const worst = worstCaseOfFile(SCAN_EXPRESS_DEFINITION_FILE);

  expect(worst.seconds).toBeLessThanOrEqual(290);
  expect(worst.path).toContain('Scan');
});

test('the scanner times out before the Express Scan task does, with budgets that fit', () => {
  const scanner = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (fn) => fn.Properties.Handler === 'index.scanFileHandler',
  );
  expect(scanner?.Properties.Timeout).toBe(200);
  expect(scanner?.Properties.Environment.Variables).toMatchObject({
    DEFINITIONS_DOWNLOAD_TIMEOUT_MS: '30000',
    CLAMD_START_TIMEOUT_MS: '90000',
    CLAMD_SCAN_TIMEOUT_MS: '60000',
  });
});

test('uploads go to an encrypted queue whose redeliveries span 30 minutes, then a dead-letter queue', () => {
  const queueProps =
    template.findResources('AWS::SQS::Queue')[logicalId(stack, queue?.queue as never)]?.Properties;

  expect(queueProps).toMatchObject({
    SqsManagedSseEnabled: true,
    VisibilityTimeout: 330,
    RedrivePolicy: {
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, queue?.deadLetterQueue as never), 'Arn'] },
      maxReceiveCount: 6,
    },
  });
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { detail: { bucket: { name: ['uploads'] } } },
    Targets: [{ Arn: { 'Fn::GetAtt': [logicalId(stack, queue?.queue as never), 'Arn'] } }],
  });
});

test('a pipe starts the Express machine synchronously, one message at a time', () => {
  template.hasResourceProperties('AWS::Pipes::Pipe', {
    Source: { 'Fn::GetAtt': [logicalId(stack, queue?.queue as never), 'Arn'] },
    SourceParameters: { SqsQueueParameters: { BatchSize: 1 } },
    Target: { Ref: scanId },
    TargetParameters: { StepFunctionStateMachineParameters: { InvocationType: 'REQUEST_RESPONSE' } },
  });
  const pipeRole = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes('PipeRole'),
  );
  const actions = pipeRole.flatMap((p) =>
    p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action),
  );
  expect(actions).toEqual(
    expect.arrayContaining(['states:StartSyncExecution', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']),
  );
});

test('the canary starts the Express machine with StartSyncExecution, which the update machine may call', () => {
  const update = template.findResources('AWS::StepFunctions::StateMachine')[
    logicalId(stack, av.updateStateMachine)
  ];

  expect(update?.Properties.DefinitionSubstitutions.CanaryScanResource).toEqual({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:::aws-sdk:sfn:startSyncExecution']],
  });
  expect(allowedActions(statementsOfRole(template, stack, av.updateStateMachine.role), scanId)).toEqual([
    'states:StartSyncExecution',
  ]);
});

test('a Standard stack has no queue, and its canary follows scans with startExecution.sync:2', () => {
  const standard = buildLambdaAv();

  standard.template.resourceCountIs('AWS::Pipes::Pipe', 0);
  standard.template.resourceCountIs('AWS::SQS::Queue', 0);
  const update = standard.template.findResources('AWS::StepFunctions::StateMachine')[
    logicalId(standard.stack, standard.av.updateStateMachine)
  ];
  expect(update?.Properties.DefinitionSubstitutions.CanaryScanResource).toEqual({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:::states:startExecution.sync:2']],
  });
});

test('a retry budget sets the deliveries: 2 hours is 22 deliveries 330 s apart', () => {
  const long = buildLambdaAv(() => ({ workflowType: WorkflowType.EXPRESS, retryBudget: Duration.hours(2) }));

  long.template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { maxReceiveCount: 22 } });
});

test.each([
  [
    { scanTimeout: Duration.minutes(3) },
    /scannerTimeout \(330 s\) must be shorter than the Scan task's TimeoutSeconds \(220 s in statemachine\/scan-express.asl.json\)/,
  ],
  [
    { retryBudget: Duration.minutes(1) },
    /retryBudget with EXPRESS \(seconds\) must be a whole number from 330/,
  ],
  [{ workflowType: 'express' as never }, /workflowType must be STANDARD or EXPRESS, got "express"/],
])('Express settings that could leave an upload untagged fail the synth: %j', (props, message) => {
  expect(() => {
    const scope = new Stack(testApp(), 'Test');
    new LambdaAv(scope, 'LambdaAv', { code: standInCode(), workflowType: WorkflowType.EXPRESS, ...props });
  }).toThrow(message);
});

test('an upload event in the dead-letter queue raises an alarm', () => {
  const alarm =
    template.findResources('AWS::CloudWatch::Alarm')[
      logicalId(stack, av.monitoring.scanDeadLettersAlarm as never)
    ]?.Properties;

  expect(alarm).toMatchObject({
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [
      {
        Name: 'QueueName',
        Value: { 'Fn::GetAtt': [logicalId(stack, queue?.deadLetterQueue as never), 'QueueName'] },
      },
    ],
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  });
});

test('a queue nothing consumes (a disabled pipe) raises an alarm once its oldest event outlives the retries: 30 minutes and a visibility timeout', () => {
  const alarm =
    template.findResources('AWS::CloudWatch::Alarm')[
      logicalId(stack, av.monitoring.scanQueueAgeAlarm as never)
    ]?.Properties;

  expect(alarm).toMatchObject({
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateAgeOfOldestMessage',
    Dimensions: [
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, queue?.queue as never), 'QueueName'] } },
    ],
    Statistic: 'Maximum',
    Period: 300,
    Threshold: 30 * 60 + 330,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [expect.anything()],
  });
  expect(alarm?.AlarmDescription).toContain('docs/runbook.md');
});

test('a Standard stack has no queue age alarm', () => {
  expect(buildLambdaAv().av.monitoring.scanQueueAgeAlarm).toBeUndefined();
});

test('failed Express executions are the retries, not an alarm: only a timed-out execution is', () => {
  const alarm =
    template.findResources('AWS::CloudWatch::Alarm')[
      logicalId(stack, av.monitoring.scanExecutionsFailedAlarm)
    ]?.Properties;
  const metrics = (alarm?.Metrics ?? []) as Array<{
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string } };
  }>;

  expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(timedOut, 0)');
  expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []))).toEqual([
    'ExecutionsTimedOut',
  ]);
});
