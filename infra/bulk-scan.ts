import { ArnFormat, Duration, Names, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { aslDefinition, BULK_SCAN_DEFINITION_FILE } from './asl-definition';
import { addNagSuppressions } from './nag-metadata';
import { vendedLogGroupName } from './state-machine-log-group';

export interface BulkScanProps {
  /**
   * The scanner function itself, unqualified: bulk batches run on on-demand instances and never
   * take the provisioned instances of the `live` alias that upload scans use.
   */
  readonly scanner: lambda.IFunction;
  /** The most batches (scanner invocations) at once; requests asking more are capped to it. */
  readonly maxConcurrency: number;
  /** Objects per batch when a request names none. */
  readonly batchSize: number;
  /** How long the reports are kept. */
  readonly reportRetention: Duration;
  /** Retention of the bulk scan state machine's logs. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the report bucket and the log group when they are removed. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Scanning and rescanning whole buckets: the bulk scan state machine
 * (statemachine/bulk-scan.asl.json, Standard, a Distributed Map) and the bucket its ResultWriter
 * writes the reports to. Its IAM covers the buckets added with `addBucket` only.
 */
export class BulkScan extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly reportBucket: s3.Bucket;
  readonly maxConcurrency: number;

  constructor(scope: Construct, id: string, props: BulkScanProps) {
    super(scope, id);
    this.maxConcurrency = props.maxConcurrency;
    this.reportBucket = new s3.Bucket(this, 'Reports', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        { id: 'ExpireReports', expiration: props.reportRetention },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    addNagSuppressions(this.reportBucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          "The report bucket holds the bulk scans' reports, written by the bulk scan state machine's ResultWriter and read by the scanner; access logs would record only the stack's own requests.",
      },
    ]);

    const name = `${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-BulkScanStateMachineLogs`;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment:
        'lambda-av: scan or rescan a whole bucket (Distributed Map, batches of objects per scanner invocation)',
      stateMachineType: sfn.StateMachineType.STANDARD,
      ...aslDefinition(this, BULK_SCAN_DEFINITION_FILE, {
        ScannerFunctionArn: props.scanner.functionArn,
        BulkMaxConcurrency: String(props.maxConcurrency),
        BulkBatchSize: String(props.batchSize),
        ReportBucket: this.reportBucket.bucketName,
      }),
      logs: {
        // Failures only: each batch's results are in the report, and logging every event of
        // every child workflow again would cost more than the scans' state transitions.
        destination: new logs.LogGroup(this, 'StateMachineLogs', {
          logGroupName: vendedLogGroupName(this, name),
          retention: props.logRetention,
          removalPolicy: props.removalPolicy,
        }),
        level: sfn.LogLevel.ERROR,
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.scanner.functionArn] }),
    );
    // The ResultWriter's report: its objects are written in parts (ListMultipartUploadParts,
    // AbortMultipartUpload), as AWS documents for ResultWriter.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [this.reportBucket.arnForObjects('bulk-scan/*')],
      }),
    );
    // A Distributed Map starts its child workflows as executions of its own state machine. In a
    // policy of its own: the role's default policy naming the state machine would be a cycle.
    const stack = Stack.of(this);
    const executions = (suffix: string) =>
      stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${this.stateMachine.stateMachineName}${suffix}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const distributedMapPolicy = new iam.Policy(this, 'DistributedMapPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:StartExecution'],
          resources: [this.stateMachine.stateMachineArn],
        }),
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [executions(':*')],
        }),
        new iam.PolicyStatement({ actions: ['states:RedriveExecution'], resources: [executions('/*')] }),
      ],
    });
    addNagSuppressions(distributedMapPolicy, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'A Distributed Map runs its batches as child executions of its own state machine, with names Step Functions generates: DescribeExecution, StopExecution and RedriveExecution on those executions, as AWS documents for Distributed Map.',
        appliesTo: [
          { regex: '/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*$/' },
        ],
      },
    ]);
    // The scanner adds the report up.
    props.scanner.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.reportBucket.bucketArn] }),
    );
    props.scanner.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.reportBucket.arnForObjects('bulk-scan/*')],
      }),
    );
    addNagSuppressions(
      this.stateMachine.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The ResultWriter writes each report under bulk-scan/<execution>/<map run id>/, names Step Functions chooses per run; S3 Inventory reports (inventoryBuckets) have keys S3 chooses; and CDK\'s logging and tracing statements (vended log delivery and X-Ray accept only Resource "*").',
          appliesTo: [{ regex: '/^Resource::.+\\/\\*$/' }, 'Resource::*'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'A Distributed Map runs its batches as child executions of its own state machine, with names Step Functions generates: DescribeExecution, StopExecution and RedriveExecution on those executions, as AWS documents for Distributed Map.',
          appliesTo: [
            {
              regex: '/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*$/',
            },
          ],
        },
      ],
      true,
    );
    addNagSuppressions(this.stateMachine, [
      {
        id: 'AwsSolutions-SF1',
        reason:
          "The bulk scan machine logs its failures (level ERROR, with data): every batch's results are in the report bucket, and each execution keeps its history in Step Functions; logging every event of every child workflow again would cost more than the scans' state transitions.",
      },
    ]);
  }

  /**
   * Lets bulk scans list the bucket (the ItemReader's ListObjectsV2). Reading and tagging its
   * objects is the scanner's, granted with the bucket's scan permissions.
   */
  addBucket(bucket: s3.IBucket): void {
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
  }

  /** Lets bulk scans read S3 Inventory manifests and their CSV files from this bucket. */
  addInventoryBucket(bucket: s3.IBucket): void {
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('*')] }),
    );
  }

  /** Lets `grantee` start bulk scans (the update workflow's rescans). */
  grantStart(grantee: iam.IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
  }
}
