import { runSimulation } from '@cloud-copilot/iam-simulate';
import { judged } from '../robustness/ledger';

/**
 * A judge the project did not write: @cloud-copilot/iam-simulate, an evaluator of AWS IAM
 * (identity and resource policies, every condition operator, same- and cross-account requests),
 * which also refuses actions, resource types and condition keys that AWS's Service Authorization
 * Reference does not list for the action. Used to check what the construct's policies allow, next
 * to test/support/s3-policy.ts (our own reading of the rules).
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly unknown[];
}

export interface Request {
  /** A role ARN, a service principal (`cloudwatch.amazonaws.com`), or `anonymous`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource. @default ACCOUNT */
  readonly resourceAccount?: string;
  /** The identity policies of the principal. */
  readonly identity?: readonly PolicyDocument[];
  /** The resource's policy (bucket, topic, queue, key). */
  readonly resourcePolicy?: PolicyDocument;
  /** The request's context keys; `aws:PrincipalArn` and `aws:PrincipalAccount` are filled for a role. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** What AWS decides for the request, as the simulator evaluates it. Throws on a request it refuses. */
export async function decide(request: Request): Promise<Decision> {
  const role = /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(request.principal);
  const result = await runSimulation(
    {
      request: {
        principal: request.principal === 'anonymous' ? { type: 'Anonymous' } : request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount ?? ACCOUNT },
        contextVariables: {
          ...(role
            ? { 'aws:PrincipalArn': request.principal, 'aws:PrincipalAccount': role[1] as string }
            : {}),
          ...Object.fromEntries(
            Object.entries(request.context ?? {}).map(([key, value]) => [
              key,
              typeof value === 'string' ? value : [...value],
            ]),
          ),
        },
      },
      identityPolicies: (request.identity ?? []).map((policy, i) => ({ name: `policy${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(`iam-simulate refused the request: ${JSON.stringify(result.errors)}`);
  }
  judged('iam-simulate', expect.getState().currentTestName ?? request.action);
  return result.overallResult as Decision;
}

/** A policy document of the given statements. */
export const policyOf = (statements: readonly unknown[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});

/** What a resource of the template is called once deployed, for ARNs the simulator can read. */
function physical(id: string, type: string): { ref: string; arn: string } {
  const name = id.toLowerCase().slice(0, 40);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case 'AWS::S3::Bucket':
      return { ref: name, arn: `arn:aws:s3:::${name}` };
    case 'AWS::IAM::Role':
      return { ref: name, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    case 'AWS::Lambda::Function':
      return { ref: name, arn: arn('lambda', `function:${name}`) };
    case 'AWS::Lambda::Alias':
      return { ref: arn('lambda', `function:${name}:live`), arn: arn('lambda', `function:${name}:live`) };
    case 'AWS::StepFunctions::StateMachine':
      return { ref: arn('states', `stateMachine:${name}`), arn: arn('states', `stateMachine:${name}`) };
    case 'AWS::SQS::Queue':
      return { ref: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`, arn: arn('sqs', name) };
    case 'AWS::SNS::Topic':
      return { ref: arn('sns', name), arn: arn('sns', name) };
    case 'AWS::KMS::Key':
      return { ref: name, arn: arn('kms', `key/${name}`) };
    case 'AWS::Events::Rule':
      return { ref: name, arn: arn('events', `rule/${name}`) };
    case 'AWS::Events::EventBus':
      return { ref: name, arn: arn('events', `event-bus/${name}`) };
    case 'AWS::Logs::LogGroup':
      return { ref: name, arn: arn('logs', `log-group:${name}:*`) };
    default:
      return { ref: name, arn: arn('unknown', name) };
  }
}

/** Names and ARNs the simulator reads for a template's resources, by logical ID. */
export function deployedNames(
  template: Record<string, unknown>,
): Record<string, { ref: string; arn: string }> {
  const resources = (template.Resources ?? {}) as Record<string, { Type: string }>;
  return Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, physical(id, r.Type)]));
}

/**
 * A template value as CloudFormation would resolve it in ACCOUNT and REGION: Ref, Fn::GetAtt
 * (Arn; names for the rest), Fn::Join, Fn::Select, Fn::Split and the pseudo parameters.
 */
export function resolved(value: unknown, template: Record<string, unknown>): unknown {
  const names = deployedNames(template);
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    if ('Ref' in o) {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': REGION,
        'AWS::AccountId': ACCOUNT,
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackId': `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Test/51af3dc0-da77-11e4-872e-1234567db123`,
      };
      const ref = String(o.Ref);
      const found = pseudo[ref] ?? names[ref]?.ref;
      if (found === undefined) throw new Error(`cannot resolve Ref ${ref}`);
      return found;
    }
    if ('Fn::GetAtt' in o) {
      const [id, attribute] = o['Fn::GetAtt'] as [string, string];
      const found = names[id];
      if (!found) throw new Error(`cannot resolve GetAtt ${id}`);
      return attribute === 'Arn' ? found.arn : found.ref;
    }
    if ('Fn::Join' in o) {
      const [separator, parts] = o['Fn::Join'] as [string, unknown[]];
      return (visit(parts) as unknown[]).join(separator);
    }
    if ('Fn::Split' in o) {
      const [separator, source] = o['Fn::Split'] as [string, unknown];
      return String(visit(source)).split(separator);
    }
    if ('Fn::Select' in o) {
      const [index, list] = o['Fn::Select'] as [string | number, unknown];
      return (visit(list) as unknown[])[Number(index)];
    }
    const intrinsic = Object.keys(o).find((key) => key.startsWith('Fn::'));
    if (intrinsic) throw new Error(`cannot resolve ${intrinsic}`);
    return Object.fromEntries(Object.entries(o).map(([key, inner]) => [key, visit(inner)]));
  };
  return visit(value);
}
