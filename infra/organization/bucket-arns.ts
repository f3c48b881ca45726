import { Aws, CfnCondition, Fn, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;

/**
 * The ARNs of buckets (`suffix` '' ) or of their objects (`suffix` '/*'), for a list of names that
 * may be a CloudFormation list parameter (the member template's BucketNames). A list parameter
 * cannot be mapped in plain CloudFormation, but joined and split again: `Fn::Join`'s delimiter
 * must be a literal string, so the partition is chosen among the three by a condition.
 */
export function bucketArns(scope: Construct, names: string[], suffix: '' | '/*'): string[] {
  if (!Token.isUnresolved(names)) return names.map((name) => `arn:${Aws.PARTITION}:s3:::${name}${suffix}`);
  const stack = Stack.of(scope);
  const conditionOf = (partition: string) => {
    const id = `Partition${partition.replace(/-/g, '')}`;
    return (
      (stack.node.tryFindChild(id) as CfnCondition | undefined) ??
      new CfnCondition(stack, id, { expression: Fn.conditionEquals(Aws.PARTITION, partition) })
    );
  };
  const arnsIn = (partition: string) =>
    Fn.split(
      ',',
      Fn.join('', [`arn:${partition}:s3:::`, Fn.join(`${suffix},arn:${partition}:s3:::`, names), suffix]),
    );
  const [commercial, china, govCloud] = PARTITIONS;
  return Token.asList(
    Fn.conditionIf(
      conditionOf(china).logicalId,
      arnsIn(china),
      Fn.conditionIf(conditionOf(govCloud).logicalId, arnsIn(govCloud), arnsIn(commercial)),
    ),
  );
}
