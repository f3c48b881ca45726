import { Names, type RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * A state machine's log group, `id` in `scope`. Step Functions delivers logs through CloudWatch
 * Logs' vended log delivery: a group under `/aws/vendedlogs/` needs no entry in the account's
 * CloudWatch Logs resource policy, which is limited to 5,120 characters and fills up with one
 * entry per other log group.
 */
export function stateMachineLogGroup(
  scope: Construct,
  id: string,
  retention: logs.RetentionDays,
  removalPolicy: RemovalPolicy,
): logs.LogGroup {
  const name = `${Names.uniqueResourceName(scope, { maxLength: 200, separator: '-' })}-${id}`;
  return new logs.LogGroup(scope, id, {
    logGroupName: `/aws/vendedlogs/states/${name}`,
    retention,
    removalPolicy,
  });
}
