import { Match } from 'aws-cdk-lib/assertions';
import { WorkflowType } from '../../infra';
import { buildLambdaAvStack } from './support';

const { template } = buildLambdaAvStack({
  scanBuckets: [{ bucketName: 'uploads' }, { bucketName: 'archive', scanOnUpload: false }],
});

test.each([
  'ScannerFunctionName',
  'ScannerFunctionArn',
  'ScanStateMachineArn',
  'UpdateStateMachineArn',
  'UpdaterFunctionName',
  'DefinitionsBucketName',
  'CanaryBucketName',
  'AlarmNamePrefix',
  'UploadDeadLetterQueueUrl',
])('outputs %s', (name) => {
  template.hasOutput(name, { Value: Match.anyValue() });
});

test('outputs what each output names', () => {
  const outputs = template.findOutputs('*');

  expect(outputs.ScannerFunctionName?.Value).toEqual({ Ref: expect.stringMatching(/^LambdaAvScanner/) });
  expect(outputs.ScannerFunctionArn?.Value).toEqual({
    'Fn::GetAtt': [expect.stringMatching(/^LambdaAvScanner/), 'Arn'],
  });
  expect(outputs.ScanStateMachineArn?.Value).toEqual({
    Ref: expect.stringMatching(/^LambdaAvScanStateMachine/),
  });
  expect(outputs.UpdateStateMachineArn?.Value).toEqual({
    Ref: expect.stringMatching(/^LambdaAvUpdateStateMachine/),
  });
  expect(outputs.DefinitionsBucketName?.Value).toEqual({
    Ref: expect.stringMatching(/^LambdaAvDefinitionsBucket/),
  });
  expect(outputs.CanaryBucketName?.Value).toEqual({ Ref: expect.stringMatching(/^LambdaAvCanaryBucket/) });
  // Every alarm's name starts with the prefix the output gives (lambda-av status lists them by it).
  const prefix = outputs.AlarmNamePrefix?.Value as string;
  expect(prefix).toMatch(/^LambdaAvTest-LambdaAv-Monitoring-[0-9A-F]+-$/);
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    expect(alarm.Properties.AlarmName.startsWith(prefix)).toBe(true);
  }
});

test('existing buckets are scanned by name, on upload unless told otherwise', () => {
  const names = Object.values(template.findResources('AWS::Events::Rule'))
    .map((rule) => rule.Properties.EventPattern?.detail?.bucket?.name)
    .filter(Boolean);

  expect(names).toEqual([['uploads']]);
  expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(':s3:::archive/*');
});

test('an existing definitions bucket by name', () => {
  const { template: existing } = buildLambdaAvStack({ definitionsBucketName: 'my-defs' });

  existing.hasOutput('DefinitionsBucketName', { Value: 'my-defs' });
});

test('the Express stack also outputs its scan queue, for lambda-av redrive', () => {
  const express = buildLambdaAvStack({
    scanBuckets: [{ bucketName: 'uploads' }],
    lambdaAv: { workflowType: WorkflowType.EXPRESS },
  });

  express.template.hasOutput('ScanQueueUrl', { Value: { Ref: Match.stringLikeRegexp('ScanQueue') } });
  express.template.hasOutput('UploadDeadLetterQueueUrl', {
    Value: { Ref: Match.stringLikeRegexp('UploadEventsDeadLetterQueue') },
  });
});
