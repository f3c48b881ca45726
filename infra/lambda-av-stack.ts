import { CfnOutput, type Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { OnInfected } from './lambda-av-choices';
import { LambdaAv } from './lambda-av-construct';
import type { LambdaAvProps } from './lambda-av-props';

/** An existing bucket to scan, by name. */
export interface ScanBucketByName {
  readonly bucketName: string;
  /** @default none */
  readonly kmsKeyArn?: string;
  /** @default true */
  readonly scanOnUpload?: boolean;
  /** Turn on the bucket's EventBridge notifications (ScanBucket.eventBridgeNotifications). @default true */
  readonly eventBridgeNotifications?: boolean;
  /** What happens to INFECTED objects besides their tag (ScanBucket.onInfected). @default OnInfected.TAG */
  readonly onInfected?: OnInfected;
}

export interface LambdaAvStackProps extends StackProps {
  /** @default the LambdaAv defaults */
  readonly lambdaAv?: Omit<LambdaAvProps, 'definitionsBucket' | 'scanBuckets'>;
  /**
   * Scanned buckets (or prefixes of them) that the update workflow rescans after new definitions
   * (LambdaAvProps.bulkScan.rescanAfterUpdate), objects modified within `rescanWindow`.
   * @default none
   */
  readonly rescanTargets?: ReadonlyArray<{ readonly bucketName: string; readonly prefix?: string }>;
  /** @default every object, whatever its age */
  readonly rescanWindow?: Duration;
  /**
   * Existing buckets to scan. The ones scanned on upload get EventBridge notifications turned
   * on, their other notification configurations kept (docs/deploy.md).
   * @default none
   */
  readonly scanBuckets?: readonly ScanBucketByName[];
  /** An existing bucket for the definitions. @default a new bucket */
  readonly definitionsBucketName?: string;
}

/** One LambdaAv and the outputs a user needs to call it (`lambda-av scan --remote/--direct`). */
export class LambdaAvStack extends Stack {
  readonly lambdaAv: LambdaAv;

  constructor(scope: Construct, id: string, props: LambdaAvStackProps = {}) {
    super(scope, id, props);
    const scanBuckets = (props.scanBuckets ?? []).map((scan) => ({
      bucket: s3.Bucket.fromBucketName(this, `ScanBucket-${scan.bucketName}`, scan.bucketName),
      ...(scan.kmsKeyArn ? { kmsKeyArn: scan.kmsKeyArn } : {}),
      ...(scan.scanOnUpload !== undefined ? { scanOnUpload: scan.scanOnUpload } : {}),
      ...(scan.eventBridgeNotifications !== undefined
        ? { eventBridgeNotifications: scan.eventBridgeNotifications }
        : {}),
      ...(scan.onInfected ? { onInfected: scan.onInfected } : {}),
    }));
    const rescans = (props.rescanTargets ?? []).map((target) => ({
      bucket:
        scanBuckets.find((scan) => scan.bucket.bucketName === target.bucketName)?.bucket ??
        s3.Bucket.fromBucketName(this, `RescanBucket-${target.bucketName}`, target.bucketName),
      ...(target.prefix ? { prefix: target.prefix } : {}),
    }));
    this.lambdaAv = new LambdaAv(this, 'LambdaAv', {
      ...props.lambdaAv,
      ...(rescans.length > 0
        ? {
            bulkScan: {
              ...props.lambdaAv?.bulkScan,
              rescanAfterUpdate: {
                targets: rescans,
                ...(props.rescanWindow ? { window: props.rescanWindow } : {}),
              },
            },
          }
        : {}),
      ...(props.definitionsBucketName
        ? {
            definitionsBucket: s3.Bucket.fromBucketName(
              this,
              'DefinitionsBucket',
              props.definitionsBucketName,
            ),
          }
        : {}),
      scanBuckets,
    });
    const av = this.lambdaAv;
    new CfnOutput(this, 'ScannerFunctionName', {
      description: 'The scanner Lambda (LAMBDA_AV_FUNCTION_NAME for lambda-av scan --direct)',
      value: av.scanner.functionName,
    });
    new CfnOutput(this, 'ScannerFunctionArn', {
      description: 'The scanner Lambda ARN',
      value: av.scanner.functionArn,
    });
    if (av.scannerTarget !== av.scanner) {
      new CfnOutput(this, 'ScannerAliasArn', {
        description:
          'The scanner alias with provisioned concurrency, which the state machine and the warmer invoke',
        value: av.scannerTarget.functionArn,
      });
    }
    new CfnOutput(this, 'ScanStateMachineArn', {
      description: 'The scan state machine (LAMBDA_AV_STATE_MACHINE_ARN for lambda-av scan --remote)',
      value: av.scanStateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'BulkScanStateMachineArn', {
      description:
        'The bulk scan state machine (LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN for lambda-av scan-bucket s3://bucket/prefix)',
      value: av.bulkScan.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'BulkScanReportBucketName', {
      description: "Where bulk scans' reports are written (bulk-scan/<execution>/...)",
      value: av.bulkScan.reportBucket.bucketName,
    });
    new CfnOutput(this, 'UpdateStateMachineArn', {
      description:
        'The definitions update state machine (LAMBDA_AV_UPDATE_STATE_MACHINE_ARN for lambda-av definitions publish)',
      value: av.updateStateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'UpdaterFunctionName', {
      description: 'The updater Lambda (LAMBDA_AV_UPDATER_FUNCTION_NAME)',
      value: av.updater.functionName,
    });
    new CfnOutput(this, 'DefinitionsBucketName', {
      description:
        'Bucket holding the published ClamAV definitions (CLAMAV_BUCKET_NAME for lambda-av definitions publish)',
      value: av.definitions.bucket.bucketName,
    });
    new CfnOutput(this, 'DefinitionsPrefix', {
      description: 'Key prefix of the definitions (PATH_TO_AV_DEFINITIONS)',
      value: av.definitions.prefix || '(bucket root)',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic receiving the alarms',
      value: av.monitoring.alarmTopic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', { value: av.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmNamePrefix', {
      description: 'Every alarm of the stack is named with this prefix (lambda-av status)',
      value: av.monitoring.alarmNamePrefix,
    });
    new CfnOutput(this, 'CanaryBucketName', {
      description: "Bucket of the update workflow's canary objects (EICAR and a clean text)",
      value: av.canary.bucket.bucketName,
    });
    // For bucket policies that let only scanned objects be read (docs/runbook.md, "Infected object found").
    if (av.uploadDeadLetterQueue) {
      new CfnOutput(this, 'UploadDeadLetterQueueUrl', {
        description: 'Upload events that started no scan for a day (lambda-av redrive)',
        value: av.uploadDeadLetterQueue.queueUrl,
      });
    }
    if (av.scanQueue) {
      new CfnOutput(this, 'ScanQueueUrl', {
        description: 'With Express: the queue in front of the scan state machine (lambda-av redrive)',
        value: av.scanQueue.queue.queueUrl,
      });
    }
    new CfnOutput(this, 'ScannerRoleArn', {
      description: 'Role of the scanner Lambda',
      value: av.scanner.role?.roleArn ?? '',
    });
    new CfnOutput(this, 'ScanStateMachineRoleArn', {
      description: 'Role of the scan state machine (HeadObject)',
      value: av.scanStateMachine.role.roleArn,
    });
    // With a bucket that quarantines or deletes: the role that reads INFECTED objects to do so,
    // which a block-reads policy must exempt (docs/deploy.md, "Block reads until CLEAN").
    const actions = av.infectedActionsWorkflow;
    if (actions) {
      new CfnOutput(this, 'ActionsRoleArn', {
        description: 'Role of the actions function (quarantine, delete): reads INFECTED objects',
        value: actions.role.roleArn,
      });
    }
  }
}
