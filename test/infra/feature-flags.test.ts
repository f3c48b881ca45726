import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaAv, OnInfected } from '../../infra';
import { TESTED_FEATURE_FLAGS } from '../../infra/feature-flags';
import { CDK_CONTEXT, scratchDir, standInCode, testApp } from './support';

test("the construct's feature flags are the repository app's (cdk.json)", () => {
  expect(TESTED_FEATURE_FLAGS).toEqual(CDK_CONTEXT);
});

interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

/**
 * A policy document as the set of what it allows or denies, one action on one resource at a time:
 * `@aws-cdk/aws-iam:minimizePolicies` is read at the stack, not under the construct, and only
 * changes how statements are merged.
 */
function permissions(document: { Statement: PolicyStatementJson[] }): string[] {
  const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
  return document.Statement.flatMap((statement) =>
    list(statement.Action).flatMap((action) =>
      list(statement.Resource).map((resource) =>
        JSON.stringify([statement.Effect, action, resource, statement.Principal, statement.Condition]),
      ),
    ),
  ).sort();
}

/** The resources of a LambdaAv with a bucket of its stack and an imported one, in `app`. */
function resources(app: App): Record<string, unknown> {
  const stack = new Stack(app, 'Test');
  new LambdaAv(stack, 'LambdaAv', {
    code: standInCode(),
    scanBuckets: [
      {
        bucket: new s3.Bucket(stack, 'Uploads'),
        blockReadsUntilClean: true,
        onInfected: OnInfected.QUARANTINE,
      },
      { bucket: s3.Bucket.fromBucketName(stack, 'Existing', 'existing-uploads') },
    ],
  });
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Metadata?: unknown }>;
  };
  // The bucket of the test's own stack is the app's, not the construct's: its flags are the app's.
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([id]) => id.startsWith('LambdaAv'))
      .map(([id, { Metadata: _metadata, ...resource }]) => {
        const properties = (resource as { Properties?: Record<string, unknown> }).Properties;
        const document = properties?.PolicyDocument as { Statement: PolicyStatementJson[] } | undefined;
        return [
          id,
          document
            ? { ...resource, Properties: { ...properties, PolicyDocument: permissions(document) } }
            : resource,
        ];
      }),
  );
}

test('a CDK app without feature flags (no cdk.json) gets the same resources as the repository app', () => {
  const bare = new App({ outdir: scratchDir('cdk.out'), builtinCloudFormationValidation: false });

  expect(resources(bare)).toEqual(resources(testApp()));
});
