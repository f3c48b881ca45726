import { Duration, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { LambdaAvProps } from '../../infra';
import { OnInfected, TagPreset, WorkflowType } from '../../infra';

/** Configurations that between them make every resource the construct can make. */
export const FINGERPRINT_CONFIGURATIONS: Record<string, (stack: Stack) => LambdaAvProps> = {
  defaults: () => ({}),
  'standard, scanned buckets, actions and block reads': (stack) => {
    const uploads = new s3.Bucket(stack, 'Uploads');
    const imported = s3.Bucket.fromBucketName(stack, 'Imported', 'imported-uploads');
    const reader = iam.Role.fromRoleName(stack, 'Reader', 'reader');
    return {
      scanBuckets: [
        {
          bucket: uploads,
          onInfected: OnInfected.QUARANTINE,
          blockReadsUntilClean: true,
          readExemptRoles: [reader],
        },
        {
          bucket: imported,
          kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          onInfected: OnInfected.DELETE,
          filter: { exclude: { suffix: '.log' }, maxSize: 100 * 2 ** 20 },
        },
      ],
      reservedConcurrency: 20,
      provisionedConcurrency: 2,
      alarmEmails: ['security@example.com'],
      bulkScan: { rescanAfterUpdate: { targets: [{ bucket: uploads, prefix: 'recent/' }] } },
    };
  },
  'express, own bus, GuardDuty tags, own definitions bucket and key': (stack) => {
    const uploads = new s3.Bucket(stack, 'Uploads');
    return {
      workflowType: WorkflowType.EXPRESS,
      retryBudget: Duration.hours(2),
      scanBuckets: [{ bucket: uploads }],
      resultEventBus: new events.EventBus(stack, 'Results'),
      tagPreset: TagPreset.GUARDDUTY,
      definitionsBucket: new s3.Bucket(stack, 'Definitions'),
      definitionsBucketKey: new kms.Key(stack, 'DefinitionsKey'),
      warmerEnabled: false,
    };
  },
};
