import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LambdaAv, type LambdaAvProps, OnInfected, TagPreset, WorkflowType } from '../../infra';
import { standInCode, testApp } from './support';

interface Checked {
  readonly findings: string[];
  readonly template: Template;
}

/** Synthesizes a LambdaAv under the AwsSolutions checks and returns what they report. */
function check(props: (stack: Stack) => LambdaAvProps, after?: (av: LambdaAv) => void): Checked {
  // Findings as annotations (not a failed synth), so the test can list them.
  const app = testApp({ '@aws-cdk/core:annotationsInValidationReport': false });
  const stack = new Stack(app, 'Test');
  const av = new LambdaAv(stack, 'LambdaAv', { code: standInCode(), ...props(stack) });
  after?.(av);
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  const annotations = Annotations.fromStack(stack);
  const findings = [
    ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ].map((message) => `${message.id}: ${String(message.entry.data).split(':')[0]}`);
  return { findings, template: Template.fromStack(stack) };
}

/** Every suppression written into the template: resource, rule and reason. */
function suppressions(template: Template): Array<{ resource: string; id: string; reason: string }> {
  return Object.entries(
    template.toJSON().Resources as Record<
      string,
      { Metadata?: { cdk_nag?: { rules_to_suppress: Array<{ id: string; reason: string }> } } }
    >,
  ).flatMap(([resource, { Metadata }]) =>
    (Metadata?.cdk_nag?.rules_to_suppress ?? []).map(({ id, reason }) => ({ resource, id, reason })),
  );
}

const defaults = check(() => ({}));
const everything = check((stack) => {
  const own = new s3.Bucket(stack, 'Uploads', { enforceSSL: true, serverAccessLogsPrefix: 'logs/' });
  return {
    scanBuckets: [
      {
        bucket: own,
        onInfected: OnInfected.QUARANTINE,
        blockReadsUntilClean: true,
        filter: { prefixes: ['incoming/'], maxSize: 100_000_000 },
      },
      {
        bucket: s3.Bucket.fromBucketName(stack, 'Existing', 'existing-uploads'),
        kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc-123',
        onInfected: OnInfected.DELETE,
      },
    ],
    tagPreset: TagPreset.GUARDDUTY,
    provisionedConcurrency: 2,
    reservedConcurrency: 10,
    warmConcurrency: 3,
    mirrorUrl: 'https://mirror.internal',
    alarmEmails: ['security@example.com'],
  };
});

const express = check(() => ({ workflowType: WorkflowType.EXPRESS }));

test('the Express configuration (queue, pipe) passes the AwsSolutions checks', () => {
  expect(express.findings).toEqual([]);
});

test('the default configuration passes the AwsSolutions checks', () => {
  expect(defaults.findings).toEqual([]);
});

test('every option turned on passes the AwsSolutions checks', () => {
  expect(everything.findings).toEqual([]);
});

test.each([
  ['defaults', defaults],
  ['every option', everything],
  ['Express', express],
])('every suppression (%s) carries a written reason', (_name, { template }) => {
  const all = suppressions(template);

  expect(all.length).toBeGreaterThan(0);
  for (const { reason } of all) expect(reason.length).toBeGreaterThan(60);
});

test('only the findings docs/security.md explains are suppressed', () => {
  const ids = [
    ...new Set(
      [defaults, everything, express].flatMap(({ template }) => suppressions(template)).map((s) => s.id),
    ),
  ];

  expect(ids.sort()).toEqual([
    'AwsSolutions-IAM4',
    'AwsSolutions-IAM5',
    'AwsSolutions-L1',
    'AwsSolutions-S1',
    'AwsSolutions-SF1',
    'AwsSolutions-SQS3',
  ]);
  const explained = readFileSync(path.join(__dirname, '..', '..', 'docs', 'security.md'), 'utf8');
  for (const id of ids) expect(explained).toContain(`| \`${id}\``);
});

test('the checks are not blind: a wildcard grant nobody explained is reported', () => {
  const { findings } = check(
    () => ({}),
    (av) => av.scanner.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] })),
  );

  expect(findings).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^\/Test\/LambdaAv\/ScannerRole\/DefaultPolicy\/Resource: AwsSolutions-IAM5/),
    ]),
  );
});
