import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { sweepRequest } from '../src/bulk/sweep';
import type { ScanFilter } from './scan-filter';
import type { SweepSettings } from './sweep-settings';

export interface SweepRulesProps {
  /** The bulk scan state machine, which the sweep runs in its `unscanned` mode. */
  readonly bulkScan: sfn.IStateMachine;
  /** The sweep's schedule and window. */
  readonly settings: SweepSettings;
}

/**
 * The scheduled sweep (issue 20): a schedule rule per bucket that starts a bulk scan of it
 * (`{bucket, mode: 'unscanned', modifiedBefore, sweep: true}`). The rules share one role, which
 * may start the bulk scan state machine and nothing else: EventBridge needs a role to start a
 * Step Functions execution (the target's RoleArn).
 */
export class SweepRules extends Construct {
  readonly role: iam.Role;
  readonly rules: events.Rule[] = [];
  private readonly props: SweepRulesProps;

  constructor(scope: Construct, id: string, props: SweepRulesProps) {
    super(scope, id);
    this.props = props;
    this.role = new iam.Role(this, 'StartRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'lambda-av sweep: starts the bulk scan state machine on schedule, nothing else',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [props.bulkScan.stateMachineArn],
      }),
    );
  }

  /**
   * Sweeps `bucket` on the schedule; `id` is the bucket's name, or its construct's id for a token.
   * With the bucket's upload `filter`, the sweep leaves what the filter leaves (`filtered-out`):
   * an object the upload rule skips on purpose is not a lost one.
   */
  addBucket(bucket: s3.IBucket, id: string, filter?: ScanFilter): events.Rule {
    const { settings } = this.props;
    const rule = new events.Rule(this, `Bucket-${id}`, {
      description: `lambda-av: sweep the bucket for objects without a verdict (modified more than ${settings.settleWindow.toMinutes()} minutes before)`,
      schedule: settings.schedule,
      targets: [
        new targets.SfnStateMachine(this.props.bulkScan, {
          input: events.RuleTargetInput.fromObject(
            sweepRequest(bucket.bucketName, settings.modifiedBefore, filter, settings.maxConcurrency),
          ),
          role: this.role,
        }),
      ],
    });
    this.rules.push(rule);
    return rule;
  }
}
