import { ArnFormat, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LambdaAvPropsError } from '../errors';
import { addNagSuppressions, type NagSuppression } from '../nag-metadata';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  type MemberBucket,
  ORGANIZATION_ID,
  type OrganizationProps,
} from './organization-props';

export interface OrganizationHubProps {
  /** The organization, as LambdaAv's `organization` prop gives it. */
  readonly organization: OrganizationProps;
  /** The roles that act on member objects: the scanner's, and the actions function's when there is one. */
  readonly scannerRole: iam.IRole;
  /** Where upload events go: the scan state machine (Standard) or the Express workflow's queue. */
  readonly scanStateMachine: sfn.IStateMachine;
  /**
   * The Express workflow's queue: member events go there, as the hub's own uploads do.
   * @default none: member events start the scan state machine
   */
  readonly scanQueue?: sqs.IQueue;
  /** The upload rules' dead-letter queue: member events that cannot be delivered wait there too. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The bulk scan's report bucket: a member bucket's listing is written there (src/bulk/member-listing.ts). */
  readonly reportBucket: s3.IBucket;
}

/**
 * The hub of an organization (docs/organization.md):
 * - an event bus whose policy admits PutEvents only from principals of the organization
 *   (`aws:PrincipalOrgID`, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html);
 *   member accounts' rules forward their "Object Created" events to it;
 * - a rule on that bus starting the scan workflow for them, with the same target, retries and
 *   dead-letter queue as the rules of the hub's own buckets;
 * - the scanner's permission to assume the member role in accounts of the organization only
 *   (`aws:ResourceOrgID`, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid);
 *   the member role's trust policy is the other half of the guard (./member-role.ts).
 */
export class OrganizationHub extends Construct {
  readonly eventBus: events.EventBus;
  readonly rule: events.Rule;
  /** The ORGANIZATION setting of the functions that act on member objects. */
  readonly environment: string;
  private readonly assumeMemberRoles: iam.PolicyStatement;
  private readonly memberRoleName: string;

  constructor(scope: Construct, id: string, props: OrganizationHubProps) {
    super(scope, id);
    const { organization } = props;
    if (!ORGANIZATION_ID.test(organization.organizationId)) {
      throw new LambdaAvPropsError(
        `organization.organizationId must be an organization id (o- and 10-32 lower-case letters and digits), got ${JSON.stringify(organization.organizationId)}`,
      );
    }
    const roleName = memberRoleNameOf(organization);
    this.memberRoleName = roleName;
    const stack = Stack.of(this);
    this.environment = organizationSetting(this, organization);

    this.eventBus = new events.EventBus(this, 'Bus', {
      description: 'lambda-av: Object Created events forwarded by the organization member accounts',
    });
    this.eventBus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OrganizationMembersPutEvents',
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.eventBus.eventBusArn],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': organization.organizationId } },
      }),
    );

    const delivery = {
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    };
    this.rule = new events.Rule(this, 'ScanMemberUploads', {
      eventBus: this.eventBus,
      description: 'lambda-av: scan the objects created in member accounts',
      // Only S3's own events: a member can put custom events on the bus, but no source `aws.*`
      // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
      eventPattern: { source: ['aws.s3'], detailType: ['Object Created'] },
      targets: [
        props.scanQueue
          ? new targets.SqsQueue(props.scanQueue, delivery)
          : new targets.SfnStateMachine(props.scanStateMachine, delivery),
      ],
    });

    const memberRoles = stack.formatArn({
      service: 'iam',
      region: '',
      account: '*',
      resource: 'role',
      resourceName: roleName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.assumeMemberRoles = new iam.PolicyStatement({
      sid: 'AssumeMemberRoles',
      actions: ['sts:AssumeRole'],
      resources: [memberRoles],
      conditions: { StringEquals: { 'aws:ResourceOrgID': organization.organizationId } },
    });
    props.scannerRole.addToPrincipalPolicy(this.assumeMemberRoles);
    // A member bucket's listing, written by the plan for the bulk scan's inventory reader.
    // PutObject only: member-listing.ts writes each file with one PutObject (grantPut would add s3:Abort*).
    props.scannerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteMemberListings',
        actions: ['s3:PutObject'],
        resources: [props.reportBucket.arnForObjects('bulk-scan/*/listing/*')],
      }),
    );
    if (organization.securityHubFindings) {
      props.scannerRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ImportOwnFindings',
          actions: ['securityhub:BatchImportFindings'],
          resources: [
            stack.formatArn({
              service: 'securityhub',
              resource: 'product',
              resourceName: `${stack.account}/default`,
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          ],
        }),
      );
    }
    addNagSuppressions(props.scannerRole, [memberRolesSuppression(roleName)], true);

    new CfnOutput(this, 'EventBusArn', {
      description: 'The hub event bus: the HubEventBusArn parameter of the member template',
      value: this.eventBus.eventBusArn,
    });
    new CfnOutput(this, 'ScannerRoleArn', {
      description:
        'The hub role that assumes member roles: part of the HubRoleArns parameter of the member template',
      value: props.scannerRole.roleArn,
    });
  }

  /** A member account's bucket by name (the sweep of `memberBuckets`); its account says which role reaches it. */
  memberBucket(member: MemberBucket): s3.IBucket {
    if (!/^\d{12}$/.test(member.account)) {
      throw new LambdaAvPropsError(
        `organization.memberBuckets: account must be a 12-digit account id, got ${JSON.stringify(member.account)}`,
      );
    }
    return s3.Bucket.fromBucketName(this, `Member-${member.account}-${member.bucketName}`, member.bucketName);
  }

  /** Another hub role that acts on member objects (the actions function's): it may assume member roles too. */
  allowMemberAccess(role: iam.IRole): void {
    role.addToPrincipalPolicy(this.assumeMemberRoles);
    addNagSuppressions(role, [memberRolesSuppression(this.memberRoleName)], true);
    new CfnOutput(this, 'ActionsRoleArn', {
      description:
        'The hub role that quarantines or deletes member objects: part of the HubRoleArns parameter of the member template',
      value: role.roleArn,
    });
  }
}

/**
 * The one wildcard the hub's roles need, recorded on those roles only (never stack-wide: the
 * construct lives in a team's own stack). The library writes cdk-nag's metadata itself, so an app
 * need not install cdk-nag (nag-metadata.ts).
 */
function memberRolesSuppression(roleName: string): NagSuppression {
  return {
    id: 'AwsSolutions-IAM5',
    reason:
      'The hub assumes the member role (one fixed name) in any account of its organization: the account is the wildcard, and aws:ResourceOrgID keeps it to the organization; a member bucket listing is written under bulk-scan/<execution>/listing/.',
    appliesTo: [
      `Resource::arn:<AWS::Partition>:iam::*:role/${roleName}`,
      { regex: '/^Resource::.*bulk-scan/\\*/listing/\\*$/' },
    ],
  };
}

function memberRoleNameOf(organization: OrganizationProps): string {
  const roleName = organization.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
  if (!/^[\w+=,.@-]{1,64}$/.test(roleName)) {
    throw new LambdaAvPropsError(
      `organization.memberRoleName must be an IAM role name, got ${JSON.stringify(roleName)}`,
    );
  }
  return roleName;
}

/** The ORGANIZATION setting (src/config.ts) of the functions that act on member objects. */
export function organizationSetting(scope: Construct, organization: OrganizationProps): string {
  const stack = Stack.of(scope);
  return stack.toJsonString({
    hubAccount: stack.account,
    partition: stack.partition,
    memberRoleName: memberRoleNameOf(organization),
    securityHub: organization.securityHubFindings ?? false,
  });
}
