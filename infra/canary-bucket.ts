import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CANARY_PREFIX } from '../src/canary/canary-prefix';
import { addNagSuppressions } from './nag-metadata';

export interface CanaryBucketProps {
  /** What happens to the bucket when it is removed. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The bucket of the update workflow's canary: the EICAR test string and a clean text, written by
 * the updater and scanned through the scan state machine on every update run. Not the
 * definitions bucket, which the scanner must never tag; not a bucket of uploads, whose scans feed
 * the upload metrics and alarms.
 */
export class CanaryBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: CanaryBucketProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
      lifecycleRules: [
        // Every run writes the objects again: anything older is left over from an earlier layout.
        { id: 'ExpireCanaryObjects', expiration: Duration.days(7) },
      ],
    });
    addNagSuppressions(this.bucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          "The canary bucket holds two objects that the stack writes itself on every update run (the EICAR test string and a clean text); access logs would record only the stack's own requests.",
      },
    ]);
  }

  /** The updater writes the canary's objects, nothing else. */
  grantWrite(writer: iam.IGrantable): void {
    writer.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${CANARY_PREFIX}*`)],
      }),
    );
  }
}
