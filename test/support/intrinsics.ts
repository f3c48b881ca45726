/**
 * Resolves the CloudFormation intrinsic functions a synthesized template uses in policies (Ref,
 * Fn::Join, Fn::Split, Fn::If with its conditions, Fn::GetAtt), as CloudFormation would for one
 * deployment: the values of pseudo parameters, parameters and resources' attributes are given.
 * Anything else is refused, naming it, so a test never judges a policy it could not read.
 */
export interface Deployment {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  /** Parameter values (a CommaDelimitedList as an array), and Ref of resources. */
  readonly refs?: Readonly<Record<string, string | readonly string[]>>;
  /** `LogicalId.Attribute` values. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** The template's Conditions. */
  readonly conditions?: Readonly<Record<string, unknown>>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function resolve(value: unknown, deployment: Deployment): Json {
  if (Array.isArray(value)) return value.map((item) => resolve(item, deployment));
  if (typeof value !== 'object' || value === null) return value as Json;
  const entries = Object.entries(value);
  const [first] = entries;
  if (
    entries.length === 1 &&
    first &&
    (first[0] === 'Ref' || first[0].startsWith('Fn::') || first[0] === 'Condition')
  ) {
    return intrinsic(first[0], first[1], deployment);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolve(item, deployment)]));
}

function intrinsic(name: string, argument: unknown, deployment: Deployment): Json {
  switch (name) {
    case 'Ref': {
      const pseudo: Record<string, string> = {
        'AWS::Partition': deployment.partition,
        'AWS::AccountId': deployment.account,
        'AWS::Region': deployment.region,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const ref = String(argument);
      const found = pseudo[ref] ?? deployment.refs?.[ref];
      if (found === undefined) throw new Error(`no value for Ref ${ref}`);
      return found as Json;
    }
    case 'Fn::Join': {
      const [separator, items] = argument as [string, unknown];
      const list = resolve(items, deployment);
      if (!Array.isArray(list)) throw new Error('Fn::Join of something that is not a list');
      return list.map(String).join(separator);
    }
    case 'Fn::Split': {
      const [separator, text] = argument as [string, unknown];
      return String(resolve(text, deployment)).split(separator);
    }
    case 'Fn::If': {
      const [condition, then, otherwise] = argument as [string, unknown, unknown];
      return resolve(isTrue(condition, deployment) ? then : otherwise, deployment);
    }
    case 'Fn::Equals': {
      const [a, b] = argument as [unknown, unknown];
      return JSON.stringify(resolve(a, deployment)) === JSON.stringify(resolve(b, deployment));
    }
    case 'Fn::Not':
      return !resolve((argument as unknown[])[0], deployment);
    case 'Condition':
      return isTrue(String(argument), deployment);
    case 'Fn::GetAtt': {
      const [id, attribute] = argument as [string, string];
      const found = deployment.attributes?.[`${id}.${attribute}`];
      if (found === undefined) throw new Error(`no value for Fn::GetAtt ${id}.${attribute}`);
      return found;
    }
    default:
      throw new Error(`intrinsic ${name} is not resolved by test/support/intrinsics.ts`);
  }
}

function isTrue(condition: string, deployment: Deployment): boolean {
  const expression = deployment.conditions?.[condition];
  if (expression === undefined) throw new Error(`no condition ${condition}`);
  return resolve(expression, deployment) === true;
}
