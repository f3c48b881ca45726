import { App, BootstraplessSynthesizer, CfnCondition, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import { LambdaAvMember } from './member';
import { DEFAULT_MEMBER_ROLE_NAME } from './organization-props';

/**
 * The member construct as a plain CloudFormation template, for a service-managed StackSet with
 * automatic deployment to organizational units (docs/organization.md). It has no assets (the
 * notifications handler is inline code), so it deploys in accounts that were never bootstrapped
 * for CDK; every choice is a parameter.
 */
export function memberTemplate(): Record<string, unknown> {
  const app = new App({
    analyticsReporting: false,
    context: { 'aws:cdk:disable-version-reporting': true, 'aws:cdk:enable-path-metadata': false },
  });
  const stack = new Stack(app, 'LambdaAvMember', {
    synthesizer: new BootstraplessSynthesizer(),
    description:
      'lambda-av-daemon organization member: the hub reads and tags the chosen buckets (docs/organization.md)',
  });
  const parameter = (id: string, props: ConstructorParameters<typeof CfnParameter>[2]) =>
    new CfnParameter(stack, id, props);
  const organizationId = parameter('OrganizationId', {
    type: 'String',
    allowedPattern: '^o-[a-z0-9]{10,32}$',
    description: 'The organization id (o-...): the role trusts the hub only while both are in it',
  });
  const hubAccountId = parameter('HubAccountId', {
    type: 'String',
    allowedPattern: '^\\d{12}$',
    description: 'The account of the lambda-av hub stack',
  });
  const hubRoleArns = parameter('HubRoleArns', {
    type: 'CommaDelimitedList',
    description:
      'The hub roles that act on objects: its outputs ScannerRoleArn (and the actions function role with actions)',
  });
  const hubEventBusArn = parameter('HubEventBusArn', {
    type: 'String',
    description: "The hub's event bus: its output EventBusArn",
  });
  const bucketNames = parameter('BucketNames', {
    type: 'CommaDelimitedList',
    description: 'The buckets of this account to scan',
  });
  const kmsKeyArns = parameter('KmsKeyArns', {
    type: 'CommaDelimitedList',
    default: '',
    description: "KMS keys of the buckets' SSE-KMS objects (empty: none)",
  });
  const roleName = parameter('RoleName', { type: 'String', default: DEFAULT_MEMBER_ROLE_NAME });
  const allowDelete = parameter('AllowDelete', {
    type: 'String',
    allowedValues: ['true', 'false'],
    default: 'false',
    description: 'Let the hub delete INFECTED objects (its quarantine and delete actions)',
  });
  const securityHub = parameter('SecurityHubFindings', {
    type: 'String',
    allowedValues: ['true', 'false'],
    default: 'false',
    description: "Let the hub import findings into this account's Security Hub",
  });
  const member = new LambdaAvMember(stack, 'Member', {
    organizationId: organizationId.valueAsString,
    hubAccountId: hubAccountId.valueAsString,
    hubRoleArns: hubRoleArns.valueAsList,
    hubEventBusArn: hubEventBusArn.valueAsString,
    bucketNames: bucketNames.valueAsList,
    kmsKeyArns: kmsKeyArns.valueAsList,
    roleName: roleName.valueAsString,
    allowDelete: true,
    securityHubFindings: true,
  });
  const when = (id: string, value: CfnParameter) =>
    new CfnCondition(stack, id, { expression: Fn.conditionEquals(value.valueAsString, 'true') });
  const deleteOn = when('AllowDeleteOn', allowDelete);
  const findingsOn = when('SecurityHubFindingsOn', securityHub);
  const hasKeys = new CfnCondition(stack, 'HasKmsKeys', {
    expression: Fn.conditionNot(Fn.conditionEquals(Fn.join('', kmsKeyArns.valueAsList), '')),
  });
  for (const [policy, condition] of [
    [member.deletePolicy, deleteOn],
    [member.securityHubPolicy, findingsOn],
    [member.decryptPolicy, hasKeys],
  ] as const) {
    const resource = policy?.node.defaultChild as { cfnOptions?: { condition?: CfnCondition } } | undefined;
    if (resource?.cfnOptions) resource.cfnOptions.condition = condition;
  }
  return app.synth().getStackByName(stack.stackName).template as Record<string, unknown>;
}
