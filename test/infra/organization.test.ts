import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { memberTemplate } from '../../infra/organization/member-template';
import { loadConfig } from '../../src/config';
import { type Deployment, resolve } from '../support/intrinsics';
import { buildLambdaAv, logicalId } from './support';

/**
 * The organization hub and member (docs/organization.md), judged by an IAM evaluator we did not
 * write (@cloud-copilot/iam-simulate): the conditions and resource policies that moto does not
 * evaluate (aws:PrincipalOrgID on the bus and the trust policy, aws:ResourceOrgID on the hub's
 * AssumeRole, bucket scope, KMS key policies).
 */
const ORG = 'o-abcdefghij';
const OTHER_ORG = 'o-zzzzzzzzzz';
const HUB = '111111111111';
const MEMBER = '222222222222';
const HUB_SCANNER = `arn:aws:iam::${HUB}:role/hub-scanner`;
const HUB_OTHER_ROLE = `arn:aws:iam::${HUB}:role/hub-bulk-scan`;
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/lambda-av-member`;

type PolicyDocument = { Version: string; Statement: Record<string, unknown>[] };

async function decide(simulation: {
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  identity: PolicyDocument[];
  resourcePolicy?: PolicyDocument;
  context?: Record<string, string>;
}): Promise<string> {
  const principalAccount = simulation.principal.split(':')[4] ?? '';
  const request: Simulation = {
    identityPolicies: simulation.identity.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(simulation.resourcePolicy ? { resourcePolicy: simulation.resourcePolicy } : {}),
    request: {
      principal: simulation.principal,
      action: simulation.action,
      resource: { resource: simulation.resource, accountId: simulation.resourceAccount },
      contextVariables: {
        'aws:PrincipalArn': simulation.principal,
        'aws:PrincipalAccount': principalAccount,
        'aws:ResourceAccount': simulation.resourceAccount,
        ...simulation.context,
      },
    },
  };
  const response = await runSimulation(request, {});
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

// --- the hub ---------------------------------------------------------------------------------
const hub = buildLambdaAv(() => ({ organization: { organizationId: ORG, securityHubFindings: true } }));
const hubDeployment: Deployment = { partition: 'aws', account: HUB, region: 'us-east-1' };
const scannerRoleId = logicalId(hub.stack, hub.av.scanner.role as never);
const scannerPolicies = Object.values(hub.template.findResources('AWS::IAM::Policy'))
  .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(scannerRoleId))
  .map((policy) => resolveLoosely(policy.Properties.PolicyDocument) as PolicyDocument);

/** Statements whose resources name this stack's own resources are left out: the requests here are about other accounts. */
function resolveLoosely(document: { Statement: unknown[] }): PolicyDocument {
  const statements = document.Statement.flatMap((statement) => {
    try {
      return [resolve(statement, hubDeployment) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return { Version: '2012-10-17', Statement: statements };
}

describe('the hub', () => {
  const busPolicy = Object.values(hub.template.findResources('AWS::Events::EventBusPolicy'))[0];
  const busArn = `arn:aws:events:us-east-1:${HUB}:event-bus/hub`;
  const putEvents = (context: Record<string, string>) =>
    decide({
      principal: `arn:aws:iam::${MEMBER}:role/forwarder`,
      action: 'events:PutEvents',
      resource: busArn,
      resourceAccount: HUB,
      identity: [
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }],
        },
      ],
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          resolve(busPolicy?.Properties.Statement, {
            ...hubDeployment,
            attributes: {
              [`${logicalId(hub.stack, hub.av.organizationHub?.eventBus as never)}.Arn`]: busArn,
            },
          }) as Record<string, unknown>,
        ],
      },
      context,
    });

  test("the bus admits PutEvents from the organization's accounts only (aws:PrincipalOrgID)", async () => {
    expect(await putEvents({ 'aws:PrincipalOrgID': ORG })).toBe('Allowed');
    expect(await putEvents({ 'aws:PrincipalOrgID': OTHER_ORG })).toBe('ImplicitlyDenied');
    expect(await putEvents({})).toBe('ImplicitlyDenied');
  });

  test("a rule on the bus starts the scan workflow for S3's Object Created events, with the upload rules' dead-letter queue and retries", () => {
    const rules = hub.template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'] } },
    });
    const onBus = Object.values(rules).filter((rule) => rule.Properties.EventBusName !== undefined);
    expect(onBus).toHaveLength(1);
    const [target] = onBus[0]?.Properties.Targets ?? [];
    expect(target.Arn).toEqual({ Ref: logicalId(hub.stack, hub.av.scanStateMachine as never) });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
    expect(JSON.stringify(target.DeadLetterConfig)).toContain('UploadEventsDeadLetterQueue');
  });

  test('the scanner may assume the member role only in accounts of the organization (aws:ResourceOrgID)', async () => {
    const assume = (role: string, resourceOrg: string) =>
      decide({
        principal: HUB_SCANNER,
        action: 'sts:AssumeRole',
        resource: role,
        resourceAccount: MEMBER,
        identity: scannerPolicies,
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: HUB_SCANNER }, Action: 'sts:AssumeRole' }],
        },
        context: { 'aws:ResourceOrgID': resourceOrg, 'aws:PrincipalOrgID': ORG },
      });
    expect(await assume(MEMBER_ROLE, ORG)).toBe('Allowed');
    expect(await assume(MEMBER_ROLE, OTHER_ORG)).toBe('ImplicitlyDenied');
    expect(await assume(`arn:aws:iam::${MEMBER}:role/Admin`, ORG)).toBe('ImplicitlyDenied');
  });

  test("the hub's own role cannot read a member's object without the member role", async () => {
    expect(
      await decide({
        principal: HUB_SCANNER,
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::member-uploads/report.pdf',
        resourceAccount: MEMBER,
        identity: scannerPolicies,
      }),
    ).toBe('ImplicitlyDenied');
  });

  test('the scanner is told the organization: its ORGANIZATION setting loads', () => {
    const scanner = Object.values(hub.template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Handler === 'index.scanFileHandler',
    );
    const value = resolve(scanner?.Properties.Environment.Variables.ORGANIZATION, hubDeployment);
    const config = loadConfig({ CLAMAV_BUCKET_NAME: 'defs', ORGANIZATION: String(value) });
    expect(config.organization).toEqual({
      hubAccount: HUB,
      partition: 'aws',
      memberRoleName: 'lambda-av-member',
      securityHub: true,
    });
  });

  test('a deployment without organization has no hub bus and no ORGANIZATION setting', () => {
    const plain = buildLambdaAv();
    expect(Object.keys(plain.template.findResources('AWS::Events::EventBus'))).toEqual([]);
    expect(JSON.stringify(plain.template.toJSON())).not.toContain('ORGANIZATION');
  });

  test('member buckets are swept and rescanned through their accounts: the requests name the account', () => {
    const built = buildLambdaAv((stack) => ({
      organization: {
        organizationId: ORG,
        memberBuckets: [{ account: MEMBER, bucketName: 'member-uploads' }],
      },
      bulkScan: {
        rescanAfterUpdate: {
          targets: [
            { bucket: s3.Bucket.fromBucketName(stack, 'MemberUploads', 'member-uploads'), account: MEMBER },
          ],
        },
      },
    }));
    const sweeps = Object.values(built.template.findResources('AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule.Properties.Targets ?? []).includes('"sweep\\":true'),
    );
    const inputs = sweeps.map((rule) => JSON.parse(rule.Properties.Targets[0].Input));
    expect(inputs).toContainEqual(
      expect.objectContaining({ bucket: 'member-uploads', account: MEMBER, sweep: true }),
    );
    const updater = Object.values(built.template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Handler === 'index.updateDefinitionsHandler',
    );
    const targets = JSON.parse(
      String(resolve(updater?.Properties.Environment.Variables.BULK_RESCAN_TARGETS, hubDeployment)),
    );
    expect(targets).toEqual([{ bucket: 'member-uploads', account: MEMBER, prefix: '' }]);
  });

  test('a rescan target in another account without organization is refused', () => {
    expect(() =>
      buildLambdaAv((stack) => ({
        bulkScan: {
          rescanAfterUpdate: {
            targets: [
              { bucket: s3.Bucket.fromBucketName(stack, 'MemberUploads', 'member-uploads'), account: MEMBER },
            ],
          },
        },
      })),
    ).toThrow(/targets\[0\].account needs organization/);
  });

  test('an organization id that is not one is refused, naming the value', () => {
    expect(() => buildLambdaAv(() => ({ organization: { organizationId: 'org-1' } }))).toThrow(
      /organization.organizationId must be an organization id .* got "org-1"/,
    );
  });
});

// --- the member template ------------------------------------------------------------------------
const template = memberTemplate() as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Condition?: string }>;
  Conditions: Record<string, unknown>;
  Parameters: Record<string, unknown>;
};

function memberDeployment(
  overrides: Partial<Record<string, string | string[]>> = {},
  partition = 'aws',
): Deployment {
  return {
    partition,
    account: MEMBER,
    region: 'us-east-1',
    conditions: template.Conditions,
    refs: {
      OrganizationId: ORG,
      HubAccountId: HUB,
      HubRoleArns: [HUB_SCANNER],
      HubEventBusArn: `arn:aws:events:us-east-1:${HUB}:event-bus/hub`,
      BucketNames: ['member-uploads', 'member-inbox'],
      KmsKeyArns: [''],
      RoleName: 'lambda-av-member',
      AllowDelete: 'false',
      SecurityHubFindings: 'false',
      ...overrides,
    },
  };
}

/** The member role's trust policy and identity policies, as one deployment of the template has them. */
function memberRole(deployment: Deployment): { trust: PolicyDocument; identity: PolicyDocument[] } {
  const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
  const [roleId, role] = roles.find(([id]) => id.startsWith('MemberRole')) ?? [];
  if (!roleId || !role) throw new Error('no member role');
  const policies = Object.values(template.Resources).filter(
    (r) =>
      r.Type === 'AWS::IAM::Policy' &&
      JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]) &&
      (r.Condition === undefined || resolve({ Condition: r.Condition }, deployment) === true),
  );
  return {
    trust: resolve(role.Properties.AssumeRolePolicyDocument, deployment) as PolicyDocument,
    identity: policies.map((p) => resolve(p.Properties.PolicyDocument, deployment) as PolicyDocument),
  };
}

describe('the member template', () => {
  test('the role trusts only the hub roles named, and only within the organization (aws:PrincipalOrgID)', async () => {
    const { trust } = memberRole(memberDeployment());
    const assume = (principal: string, org: string) =>
      decide({
        principal,
        action: 'sts:AssumeRole',
        resource: MEMBER_ROLE,
        resourceAccount: MEMBER,
        identity: [
          {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
          },
        ],
        resourcePolicy: trust,
        context: { 'aws:PrincipalOrgID': org },
      });
    expect(await assume(HUB_SCANNER, ORG)).toBe('Allowed');
    expect(await assume(HUB_SCANNER, OTHER_ORG)).toBe('ImplicitlyDenied');
    expect(await assume(HUB_OTHER_ROLE, ORG)).toBe('ImplicitlyDenied');
    expect(await assume(`arn:aws:iam::333333333333:role/hub-scanner`, ORG)).toBe('ImplicitlyDenied');
  });

  const act = (deployment: Deployment, action: string, resource: string, resourceAccount = MEMBER) =>
    decide({
      principal: MEMBER_ROLE,
      action,
      resource,
      resourceAccount,
      identity: memberRole(deployment).identity,
    });

  test.each(['aws', 'aws-cn', 'aws-us-gov'])(
    'in partition %s the role reads and tags objects of the chosen buckets and of no other',
    async (partition) => {
      const deployment = memberDeployment({}, partition);
      const object = (bucket: string) => `arn:${partition}:s3:::${bucket}/dir/report.pdf`;
      for (const action of [
        's3:GetObject',
        's3:GetObjectTagging',
        's3:PutObjectTagging',
        's3:PutObjectVersionTagging',
      ]) {
        expect({ action, bucket: await act(deployment, action, object('member-inbox')) }).toEqual({
          action,
          bucket: 'Allowed',
        });
      }
      expect(await act(deployment, 's3:ListBucket', `arn:${partition}:s3:::member-uploads`)).toBe('Allowed');
      expect(await act(deployment, 's3:GetObject', object('payroll'))).toBe('ImplicitlyDenied');
      expect(await act(deployment, 's3:PutObject', object('member-uploads'))).toBe('ImplicitlyDenied');
    },
  );

  test('a bucket of another account, even one named like a chosen bucket, is refused (aws:ResourceAccount)', async () => {
    expect(
      await act(memberDeployment(), 's3:GetObject', 'arn:aws:s3:::member-uploads/a.pdf', '333333333333'),
    ).toBe('ImplicitlyDenied');
  });

  test('deletes only with AllowDelete=true', async () => {
    const object = 'arn:aws:s3:::member-uploads/a.pdf';
    expect(await act(memberDeployment(), 's3:DeleteObjectVersion', object)).toBe('ImplicitlyDenied');
    expect(await act(memberDeployment({ AllowDelete: 'true' }), 's3:DeleteObjectVersion', object)).toBe(
      'Allowed',
    );
  });

  test("Security Hub findings are imported into the member's default product only with SecurityHubFindings=true", async () => {
    const product = `arn:aws:securityhub:us-east-1:${MEMBER}:product/${MEMBER}/default`;
    expect(await act(memberDeployment(), 'securityhub:BatchImportFindings', product)).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await act(
        memberDeployment({ SecurityHubFindings: 'true' }),
        'securityhub:BatchImportFindings',
        product,
      ),
    ).toBe('Allowed');
  });

  test("an SSE-KMS object's key: Decrypt needs the key named and a key policy that lets the account's IAM policies grant it", async () => {
    const key = `arn:aws:kms:us-east-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const deployment = memberDeployment({ KmsKeyArns: [key] });
    const decrypt = (keyPolicy: PolicyDocument, identity = memberRole(deployment).identity) =>
      decide({
        principal: MEMBER_ROLE,
        action: 'kms:Decrypt',
        resource: key,
        resourceAccount: MEMBER,
        identity,
        resourcePolicy: keyPolicy,
      });
    const accountRoot: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${MEMBER}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    const adminOnly: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${MEMBER}:role/Admin` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    expect(await decrypt(accountRoot)).toBe('Allowed');
    expect(await decrypt(adminOnly)).toBe('ImplicitlyDenied');
    expect(await decrypt(accountRoot, memberRole(memberDeployment()).identity)).toBe('ImplicitlyDenied');
  });

  test("a rule forwards the chosen buckets' Object Created events to the hub bus through a role, with a dead-letter queue watched by an alarm", () => {
    const t = Template.fromJSON(template);
    const [rule] = Object.values(t.findResources('AWS::Events::Rule'));
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: { Ref: 'BucketNames' } } },
    });
    const [target] = rule?.Properties.Targets ?? [];
    expect(target.Arn).toEqual({ Ref: 'HubEventBusArn' });
    expect(target.RoleArn).toBeDefined();
    expect(target.DeadLetterConfig).toBeDefined();
    const [alarm] = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    expect(alarm?.Properties.MetricName).toBe('ApproximateNumberOfMessagesVisible');
  });

  test('the template needs no CDK bootstrap and no assets: the notifications handler is inline code within the 4 KB ZipFile limit', () => {
    expect(template.Parameters).not.toHaveProperty('BootstrapVersion');
    const handler = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    const code = handler?.Properties.Code as { ZipFile?: string } | undefined;
    const zipFile = code?.ZipFile ?? '';
    expect(zipFile).toContain('EventBridgeConfiguration');
    expect(zipFile.length).toBeLessThanOrEqual(4096);
    expect(JSON.stringify(template)).not.toContain('S3Bucket');
  });
});
