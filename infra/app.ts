#!/usr/bin/env node
/**
 * The CDK app: `npx cdk deploy -c scanBuckets=uploads,...` (cdk.json runs this file with tsx).
 * Every setting is a context value; docs/deploy.md lists them.
 */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppSettings } from './context';
import { LambdaAvStack } from './lambda-av-stack';
import { lambdaCodeFromZip } from './lambda-code';

const app = new App();
const settings = readAppSettings((key) => app.node.tryGetContext(key));
new LambdaAvStack(app, settings.stackName, {
  ...settings.stackProps,
  description: 'lambda-av-daemon: ClamAV scanning of S3 objects with a memory-resident clamd on Lambda',
  lambdaAv: {
    ...settings.stackProps.lambdaAv,
    ...(settings.lambdaZip ? { code: lambdaCodeFromZip(settings.lambdaZip) } : {}),
  },
});
// Every AwsSolutions finding is either fixed or suppressed with a reason (infra/nag-suppressions.ts);
// a new one fails the synth.
Aspects.of(app).add(new AwsSolutionsChecks());
