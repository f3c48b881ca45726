import { Fn, Names, type RemovalPolicy, Stack } from 'aws-cdk-lib';
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
    logGroupName: vendedLogGroupName(scope, name),
    retention,
    removalPolicy,
  });
}

/**
 * `/aws/vendedlogs/states/<name>-<creation>`, where `<creation>` is the last part of the stack's
 * ID (AWS::StackId ends in a UUID CloudFormation draws each time it creates the stack).
 *
 * Why: the groups are retained by default (`removalPolicy`), and a group's name is the account's
 * and Region's alone. With a fixed name, creating the stack again after `cdk destroy` fails with
 * "already exists" on the retained groups. With the creation's part, the new stack gets new groups
 * and the old ones stay, with the executions they logged, until someone deletes them. The part is
 * the same for every update of one stack, so a deployment never renames its groups.
 */
export function vendedLogGroupName(scope: Construct, name: string): string {
  const uuid = Fn.select(2, Fn.split('/', Stack.of(scope).stackId));
  return `/aws/vendedlogs/states/${name}-${Fn.select(4, Fn.split('-', uuid))}`;
}
