import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Aws, CustomResource, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LambdaAvPropsError } from '../errors';
import { SCAN_OBJECT_ACTIONS } from '../scan-permissions';
import { bucketArns } from './bucket-arns';
import { DEFAULT_MEMBER_ROLE_NAME, ORGANIZATION_ID } from './organization-props';

/** What a member account of an organization hub deploys (docs/organization.md). */
export interface LambdaAvMemberProps {
  /** The organization's id: the role trusts the hub only while both are in it. */
  readonly organizationId: string;
  /** The hub's roles that act on this account's objects (the hub stack's outputs ScannerRoleArn, and ActionsRoleArn with actions). */
  readonly hubRoleArns: string[];
  /** The hub account: the trust policy's principal. */
  readonly hubAccountId: string;
  /** The hub's event bus (the hub stack's output EventBusArn). */
  readonly hubEventBusArn: string;
  /** The buckets of this account the hub scans. */
  readonly bucketNames: string[];
  /**
   * KMS keys of those buckets' SSE-KMS objects: the role gets `kms:Decrypt` on them. Each key's
   * policy must let this account's IAM policies grant its use (docs/organization.md).
   * @default none
   */
  readonly kmsKeyArns?: string[];
  /**
   * The name of the role the hub assumes: the hub's `organization.memberRoleName`.
   * @default 'lambda-av-member'
   */
  readonly roleName?: string;
  /**
   * Let the hub delete the scanned versions of INFECTED objects (its `quarantine` and `delete`
   * actions).
   * @default false
   */
  readonly allowDelete?: boolean;
  /**
   * Let the hub import findings into this account's Security Hub (BatchImportFindings on the
   * account's default product).
   * @default false
   */
  readonly securityHubFindings?: boolean;
  /**
   * Turn on the buckets' EventBridge notifications (a custom resource with inline code that keeps
   * their other notification configurations).
   * @default true
   */
  readonly eventBridgeNotifications?: boolean;
  /** Where the forwarding alarm notifies. @default no action */
  readonly alarmTopicArn?: string;
}

/**
 * A member account of an organization hub: the role the hub assumes, able only to read and tag
 * the chosen buckets' objects (and delete them, with `allowDelete`); EventBridge notifications
 * on those buckets; a rule forwarding their "Object Created" events to the hub bus, with a
 * dead-letter queue and an alarm on it.
 */
export class LambdaAvMember extends Construct {
  readonly role: iam.Role;
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;
  /** Present with `kmsKeyArns`: the template makes it conditional. */
  readonly decryptPolicy: iam.Policy | undefined;
  /** Present with `allowDelete`: the template makes it conditional. */
  readonly deletePolicy: iam.Policy | undefined;
  /** Present with `securityHubFindings`. */
  readonly securityHubPolicy: iam.Policy | undefined;
  readonly notifications: CustomResource | undefined;

  constructor(scope: Construct, id: string, props: LambdaAvMemberProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.organizationId) && !ORGANIZATION_ID.test(props.organizationId)) {
      throw new LambdaAvPropsError(
        `organizationId must be an organization id, got ${JSON.stringify(props.organizationId)}`,
      );
    }
    if (!Token.isUnresolved(props.bucketNames) && props.bucketNames.length === 0) {
      throw new LambdaAvPropsError('bucketNames must name at least one bucket');
    }

    // The confused-deputy guard (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html):
    // only the hub's own roles (aws:PrincipalArn) and only while they are in this account's
    // organization (aws:PrincipalOrgID) may assume the role. No ExternalId: it is for a third
    // party acting for many customers; here the hub is the organization's own account, and the
    // account it acts in comes from EventBridge, not from whoever sent the event.
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName ?? DEFAULT_MEMBER_ROLE_NAME,
      description: 'lambda-av: the organization hub reads and tags the objects of the chosen buckets',
      assumedBy: new iam.AccountPrincipal(props.hubAccountId).withConditions({
        ArnEquals: { 'aws:PrincipalArn': props.hubRoleArns },
        StringEquals: { 'aws:PrincipalOrgID': props.organizationId },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    const objects = bucketArns(this, props.bucketNames, '/*');
    const buckets = bucketArns(this, props.bucketNames, '');
    // Buckets of this account only: a bucket of the same name elsewhere is never reached.
    const ownAccount = { StringEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } };
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndTagObjects',
        actions: [...SCAN_OBJECT_ACTIONS],
        resources: objects,
        conditions: ownAccount,
      }),
    );
    // ListBucket: a missing key is answered 404, not 403, and bulk scans list the bucket.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListBuckets',
        actions: ['s3:ListBucket'],
        resources: buckets,
        conditions: ownAccount,
      }),
    );
    if (props.kmsKeyArns && (Token.isUnresolved(props.kmsKeyArns) || props.kmsKeyArns.length > 0)) {
      this.decryptPolicy = new iam.Policy(this, 'DecryptPolicy', {
        roles: [this.role],
        statements: [
          new iam.PolicyStatement({
            sid: 'DecryptObjects',
            actions: ['kms:Decrypt'],
            resources: props.kmsKeyArns,
          }),
        ],
      });
    }
    if (props.allowDelete) {
      this.deletePolicy = new iam.Policy(this, 'DeletePolicy', {
        roles: [this.role],
        statements: [
          new iam.PolicyStatement({
            sid: 'DeleteInfectedObjects',
            actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
            resources: objects,
            conditions: ownAccount,
          }),
        ],
      });
    }
    if (props.securityHubFindings) {
      this.securityHubPolicy = new iam.Policy(this, 'SecurityHubPolicy', {
        roles: [this.role],
        statements: [
          new iam.PolicyStatement({
            sid: 'ImportFindings',
            actions: ['securityhub:BatchImportFindings'],
            resources: [
              `arn:${Aws.PARTITION}:securityhub:${Aws.REGION}:${Aws.ACCOUNT_ID}:product/${Aws.ACCOUNT_ID}/default`,
            ],
          }),
        ],
      });
    }

    if (props.eventBridgeNotifications ?? true) {
      const handler = new lambda.Function(this, 'NotificationsHandler', {
        description: 'lambda-av: turns on EventBridge notifications of the chosen buckets',
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline(
          readFileSync(path.join(__dirname, 'eventbridge-notifications.js'), 'utf8'),
        ),
        timeout: Duration.minutes(2),
      });
      handler.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetBucketNotification', 's3:PutBucketNotification'],
          resources: buckets,
          conditions: ownAccount,
        }),
      );
      this.notifications = new CustomResource(this, 'EventBridgeNotifications', {
        serviceToken: handler.functionArn,
        resourceType: 'Custom::LambdaAvEventBridgeNotifications',
        properties: { BucketNames: props.bucketNames },
      });
    }

    this.deadLetterQueue = new sqs.Queue(this, 'ForwardDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const hubBus = events.EventBus.fromEventBusArn(this, 'HubBus', props.hubEventBusArn);
    // A rule targeting a bus of another account needs a role that may put events there
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
    const forwardRole = new iam.Role(this, 'ForwardRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'lambda-av: forwards Object Created events to the organization hub bus',
    });
    this.rule = new events.Rule(this, 'ForwardToHub', {
      description: "lambda-av: forward the chosen buckets' Object Created events to the organization hub",
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: props.bucketNames } },
      },
      targets: [new targets.EventBus(hubBus, { role: forwardRole, deadLetterQueue: this.deadLetterQueue })],
    });
    this.alarm = new cloudwatch.Alarm(this, 'ForwardFailedAlarm', {
      alarmDescription:
        'lambda-av member: Object Created events could not be forwarded to the organization hub and wait in the dead-letter queue (docs/organization.md)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopicArn) {
      this.alarm.addAlarmAction(
        new cwActions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)),
      );
    }
  }
}
