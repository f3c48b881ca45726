import { Duration, Lazy, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EVENT_SOURCE, RESULT_DETAIL_TYPE } from '../src/results/result-event';
import type { DeployedSettingName, InfectedAction } from '../src/settings';
import { ACT_ON_INFECTED_DEFINITION_FILE, aslDefinition } from './asl-definition';
import { lambdaAvFunction } from './lambda-av-function';
import { stateMachineLogGroup } from './state-machine-log-group';

export interface InfectedActionsProps {
  /** The actions function's code (the functions' lambda.zip). */
  readonly code: lambda.Code;
  /** The actions function's architecture. */
  readonly architecture: lambda.Architecture;
  /** The bus the scanner publishes results to, and this workflow its outcomes. */
  readonly eventBus: events.IEventBus;
  /** CLAMAV_BUCKET_NAME and the status settings the function reads (it tells INFECTED by name). */
  readonly environment: Record<string, string>;
  /** How long quarantined objects are kept. */
  readonly quarantineRetention: Duration;
  /** The one role besides the actions function that may read the quarantine bucket. @default none */
  readonly quarantineReadRole?: iam.IRole;
  /** Where the quarantine bucket's access logs go. @default no access logs */
  readonly accessLogsBucket?: s3.IBucket;
  /** What happens to the quarantine bucket, the queue and the log groups when they are removed. */
  readonly removalPolicy: RemovalPolicy;
  /** Retention of the function's and the state machine's logs. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * What carries out `quarantine` and `delete` on INFECTED objects, created only when a scanned
 * bucket asks for one: the scanner names the bucket's action in the result event, a rule on the
 * bus matches results naming an action and starts the actions workflow
 * (statemachine/act-on-infected.asl.json), whose function alone may copy to the quarantine
 * bucket and delete from the scanned buckets. The scanner keeps read-and-tag only. The rule's
 * deliveries are retried for a day and kept in a dead-letter queue when they fail.
 */
export class InfectedActions extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;
  private quarantine: s3.Bucket | undefined;
  private readonly actions = new Map<string, InfectedAction>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: InfectedActionsProps,
  ) {
    super(scope, id);
    const made = lambdaAvFunction(this, {
      ids: { logs: 'Logs', role: 'Role', function: 'Function' },
      description: 'lambda-av actions: quarantine or delete an INFECTED object, after checking its tag',
      roleDescription:
        'lambda-av actions: quarantines or deletes INFECTED objects of the buckets that ask for it',
      handler: 'index.actOnInfectedHandler',
      code: props.code,
      architecture: props.architecture,
      // The object's bytes pass through (read, written, read back): memory buys network speed.
      memorySize: 1024,
      timeout: Duration.minutes(15),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: {
        ...props.environment,
        // Resolved at synth, once every bucket has been added.
        ['INFECTED_ACTIONS' satisfies DeployedSettingName]: Lazy.string({ produce: () => this.actionsJson }),
      },
    });
    this.function = made.function;
    this.role = made.role;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'lambda-av: quarantine or delete an INFECTED object and publish the outcome',
      stateMachineType: sfn.StateMachineType.STANDARD,
      ...aslDefinition(this, ACT_ON_INFECTED_DEFINITION_FILE, {
        ActionsFunctionArn: this.function.functionArn,
        EventBusName: props.eventBus.eventBusName,
      }),
      logs: {
        // In the scope that holds this construct (the LambdaAv), where it was first deployed: its
        // logical ID and name stay what they were.
        destination: stateMachineLogGroup(
          scope,
          'ActOnInfectedLogs',
          props.logRetention,
          props.removalPolicy,
        ),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );
    props.eventBus.grantPutEventsTo(this.stateMachine);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.rule = new events.Rule(this, 'Rule', {
      description:
        'lambda-av: start the actions workflow for INFECTED results whose bucket asks for an action',
      eventBus: props.eventBus,
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [RESULT_DETAIL_TYPE],
        detail: { action: ['quarantine', 'delete'] },
      },
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          deadLetterQueue: this.deadLetterQueue,
          maxEventAge: Duration.hours(24),
          retryAttempts: 185,
        }),
      ],
    });
  }

  /** The map the function checks each event's action against, as JSON. */
  get actionsJson(): string {
    return Stack.of(this).toJsonString(Object.fromEntries(this.actions));
  }

  /**
   * A bucket whose INFECTED objects get `action`: the function may read the objects and their
   * tags and delete them (and decrypt them with `kmsKeyArn`); for `quarantine`, the quarantine
   * bucket is created on first use.
   */
  addBucket(bucket: s3.IBucket, action: InfectedAction, kmsKeyArn?: string): void {
    this.actions.set(bucket.bucketName, action);
    const read = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'];
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...read, 's3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    // A missing key is then 404, not 403 (as for the scanner).
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
    if (kmsKeyArn !== undefined) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [kmsKeyArn] }),
      );
    }
    if (action === 'quarantine') this.quarantineBucket();
  }

  /** The quarantine bucket, once a bucket quarantines. */
  get quarantineBucketOrUndefined(): s3.Bucket | undefined {
    return this.quarantine;
  }

  private quarantineBucket(): s3.Bucket {
    if (this.quarantine) return this.quarantine;
    const { props } = this;
    const bucket = new s3.Bucket(this, 'Quarantine', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: props.quarantineRetention,
          noncurrentVersionExpiration: props.quarantineRetention,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      ...(props.accessLogsBucket
        ? { serverAccessLogsBucket: props.accessLogsBucket, serverAccessLogsPrefix: 'quarantine-bucket/' }
        : {}),
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: false,
    });
    const readers = [
      this.role.roleArn,
      ...(props.quarantineReadRole ? [props.quarantineReadRole.roleArn] : []),
    ];
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LambdaAvOnlyNamedRolesReadQuarantine',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [bucket.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': readers } },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          's3:PutObject',
          's3:PutObjectTagging',
          's3:GetObject',
          's3:GetObjectVersion',
          's3:GetObjectTagging',
          's3:GetObjectVersionTagging',
        ],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    this.function.addEnvironment('QUARANTINE_BUCKET_NAME' satisfies DeployedSettingName, bucket.bucketName);
    this.quarantine = bucket;
    return bucket;
  }
}
