import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaAv, type LambdaAvProps, OnInfected, WorkflowType } from '../../infra';
import { placeholdersOf } from '../../src/asl/placeholders';
import { standInCode, testApp } from './support';

// Integration ARNs are partition-specific: in aws-cn an `arn:aws:states:::lambda:invoke` Task
// cannot run (aws/aws-cdk#4597). A stack synthesized in cn-north-1, the definitions as Step
// Functions fills them, holds no ARN of the aws partition.

const CHINA = { region: 'cn-north-1', account: '123456789012' };

function synthesizedInChina(props: (stack: Stack) => LambdaAvProps): {
  template: Record<string, unknown>;
  definitions: Record<string, string>;
} {
  const app = testApp();
  const stack = new Stack(app, 'China', { env: CHINA });
  new LambdaAv(stack, 'LambdaAv', { code: standInCode(), ...props(stack) });
  const assembly = app.synth();
  const template = Template.fromStack(stack).toJSON();
  const machines = Object.entries(
    (template.Resources ?? {}) as Record<string, { Type: string; Properties: Record<string, unknown> }>,
  ).filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine');
  const definitions = Object.fromEntries(
    machines.map(([id, { Properties }]) => {
      const key = (Properties.DefinitionS3Location as { Key: string }).Key;
      const text = readFileSync(path.join(assembly.directory, `asset.${key}`), 'utf8');
      const substitutions = Properties.DefinitionSubstitutions as Record<string, unknown>;
      // Step Functions fills each placeholder; references to this stack's resources stand for ARNs
      // CloudFormation builds in the stack's own partition, literals are what they say.
      const filled = text.replace(/\$\{(\w+)\}/g, (_, name: string) => {
        const value = substitutions[name];
        return typeof value === 'string' ? value : `arn:aws-cn:resolved:${name}`;
      });
      return [id, filled];
    }),
  );
  return { template, definitions };
}

describe.each<[string, (stack: Stack) => LambdaAvProps]>([
  [
    'standard, quarantine',
    (stack) => ({
      scanBuckets: [{ bucket: new s3.Bucket(stack, 'Uploads'), onInfected: OnInfected.QUARANTINE }],
    }),
  ],
  [
    'express',
    (stack) => ({
      workflowType: WorkflowType.EXPRESS,
      scanBuckets: [{ bucket: new s3.Bucket(stack, 'Uploads') }],
    }),
  ],
])('a stack in cn-north-1 (%s)', (_, props) => {
  const { template, definitions } = synthesizedInChina(props);

  test('fills every definition’s placeholders, the partition with aws-cn', () => {
    expect(Object.keys(definitions).length).toBeGreaterThanOrEqual(3);
    for (const text of Object.values(definitions)) {
      expect(placeholdersOf(text)).toEqual([]);
      expect(text).toMatch(/"arn:aws-cn:states:::lambda:invoke"/);
    }
  });

  test('has no ARN of the aws partition, in its definitions or its template', () => {
    for (const [id, text] of Object.entries(definitions)) {
      expect({ id, aws: text.match(/arn:aws:[^"]*/g) ?? [] }).toEqual({ id, aws: [] });
    }
    expect(JSON.stringify(template).match(/arn:aws:[^"]*/g) ?? []).toEqual([]);
  });
});
