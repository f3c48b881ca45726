import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { OnInfected } from '../../infra';
import { type BlockReadsOptions, blockReadsStatements } from '../../infra/block-reads';
import { judgeFound } from '../robustness/ledger';
import { decide, deployedNames, type PolicyDocument, policyOf, resolved } from '../support/iam-simulator';
import {
  deleteObjectTagging,
  getObject,
  isDenied,
  type PolicyStatementJson,
  putObject,
  putObjectTagging,
  type S3Request,
} from '../support/s3-policy';
import { buildLambdaAv } from './support';

const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const SCANNER = role('scanner');
const MACHINE = role('scan-machine');
const ACTIONS = role('actions');
const READER = role('reader');
const UPLOADER = role('uploader');
const BUCKET = 'uploads';
const OPTIONS: BlockReadsOptions = {
  statusTagKey: 'av-status',
  timestampTagKey: 'av-timestamp',
  cleanStatus: 'CLEAN',
  bucketArn: `arn:aws:s3:::${BUCKET}`,
  bucketName: BUCKET,
  taggerRoleArns: [SCANNER],
  readExemptRoleArns: [MACHINE, ACTIONS],
};
const POLICY = blockReadsStatements(OPTIONS).map((s) => s.toStatementJson() as PolicyStatementJson);
const CLEAN = { 'av-status': 'CLEAN', 'av-timestamp': '2026-11-25T10:00:00.000Z' };
const INFECTED = { 'av-status': 'INFECTED', 'av-timestamp': '2026-11-25T10:00:00.000Z' };
const object = { bucket: BUCKET, key: 'incoming/report.pdf' };
/** Every principal may do anything by its own policy: only the bucket policy decides. */
const ALLOW_ALL = policyOf([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]);

/** What the simulator decides for a request built for s3-policy.ts. */
async function simulated(request: S3Request): Promise<boolean> {
  const decision = await decide({
    principal: request.principalArn ?? 'anonymous',
    action: request.action,
    resource: request.resource,
    ...(request.principalArn ? { identity: [ALLOW_ALL] } : {}),
    resourcePolicy: policyOf(POLICY),
    context: request.context ?? {},
  });
  return decision === 'ExplicitlyDenied';
}

const REQUESTS: Array<[string, S3Request]> = [
  ['a reader, untagged', getObject({ ...object, principalArn: READER })],
  ['a reader, CLEAN', getObject({ ...object, principalArn: READER, existingTags: CLEAN })],
  ['a reader, INFECTED', getObject({ ...object, principalArn: READER, existingTags: INFECTED })],
  [
    'a reader, "clean"',
    getObject({ ...object, principalArn: READER, existingTags: { 'av-status': 'clean' } }),
  ],
  ['a reader, an old version untagged', getObject({ ...object, principalArn: READER, version: true })],
  ['anonymous, untagged', getObject({ ...object })],
  ['the scanner, untagged', getObject({ ...object, principalArn: SCANNER })],
  ['the scan machine, untagged', getObject({ ...object, principalArn: MACHINE })],
  ['the actions role, INFECTED', getObject({ ...object, principalArn: ACTIONS, existingTags: INFECTED })],
  ['an upload without tags', putObject({ ...object, principalArn: UPLOADER })],
  [
    'an upload with av-status=CLEAN',
    putObject({ ...object, principalArn: UPLOADER, tags: { 'av-status': 'CLEAN' } }),
  ],
  [
    'an upload with AV-Status',
    putObject({ ...object, principalArn: UPLOADER, tags: { 'AV-Status': 'CLEAN' } }),
  ],
  ['an upload with its own tags', putObject({ ...object, principalArn: UPLOADER, tags: { project: 'x' } })],
  ['a copy from another bucket', putObject({ ...object, principalArn: UPLOADER, copySource: 'elsewhere/a' })],
  ['a copy within the bucket', putObject({ ...object, principalArn: UPLOADER, copySource: `${BUCKET}/b` })],
  [
    'a copy within, leading slash',
    putObject({ ...object, principalArn: UPLOADER, copySource: `/${BUCKET}/b` }),
  ],
  [
    'retagging a scanned object',
    putObjectTagging({ ...object, principalArn: UPLOADER, existingTags: CLEAN, tags: { p: 'x' } }),
  ],
  ['tagging an unscanned object', putObjectTagging({ ...object, principalArn: UPLOADER, tags: { p: 'x' } })],
  [
    'tagging CLEAN, unscanned',
    putObjectTagging({ ...object, principalArn: UPLOADER, tags: { 'av-status': 'CLEAN' } }),
  ],
  [
    'the scanner retagging a version',
    putObjectTagging({
      ...object,
      principalArn: SCANNER,
      existingTags: INFECTED,
      tags: CLEAN,
      version: true,
    }),
  ],
  ['the scan machine tagging', putObjectTagging({ ...object, principalArn: MACHINE, tags: CLEAN })],
  [
    'removing a scanned object’s tags',
    deleteObjectTagging({ ...object, principalArn: UPLOADER, existingTags: INFECTED }),
  ],
  ['removing an unscanned object’s tags', deleteObjectTagging({ ...object, principalArn: UPLOADER })],
  ['another bucket', getObject({ bucket: 'other', key: 'a', principalArn: READER })],
  // Condition key names are not case-sensitive, tag keys included: both judges read AV-STATUS as
  // av-status. Nobody but the scanner can write either (the tagging statement ignores case).
  [
    'a reader, AV-STATUS=CLEAN',
    getObject({ ...object, principalArn: READER, existingTags: { 'AV-STATUS': 'CLEAN' } }),
  ],
  ['anonymous upload with av-status', putObject({ ...object, tags: { 'av-status': 'CLEAN' } })],
  [
    'a copy of a version within',
    putObject({ ...object, principalArn: UPLOADER, copySource: `${BUCKET}/b?versionId=x` }),
  ],
  [
    'a copy naming the bucket encoded',
    putObject({ ...object, principalArn: UPLOADER, copySource: '%75ploads/b' }),
  ],
  ['the scanner’s name under another path', getObject({ ...object, principalArn: role('x/scanner') })],
  [
    'replicating out, a replication role',
    {
      action: 's3:GetObjectVersionForReplication',
      resource: `arn:aws:s3:::${BUCKET}/k`,
      principalArn: role('replication'),
    },
  ],
  [
    'replicating out, an exempt role',
    {
      action: 's3:GetObjectVersionForReplication',
      resource: `arn:aws:s3:::${BUCKET}/k`,
      principalArn: ACTIONS,
    },
  ],
  [
    'replicating in',
    { action: 's3:ReplicateObject', resource: `arn:aws:s3:::${BUCKET}/k`, principalArn: role('replication') },
  ],
  [
    'replicating tags in',
    { action: 's3:ReplicateTags', resource: `arn:aws:s3:::${BUCKET}/k`, principalArn: role('replication') },
  ],
];

// The simulator judges the same requests as test/support/s3-policy.ts, on the same policy: where
// they disagreed, AWS's documentation would decide which is right (none do).
test.each(REQUESTS)('the block-reads policy, %s: both judges agree', async (_, request) => {
  expect({ simulator: await simulated(request) }).toEqual({ simulator: isDenied(POLICY, request) });
});

// --- the construct's own policies, as synthesized ---------------------------------------------

const built = buildLambdaAv((stack) => {
  const uploads = new s3.Bucket(stack, 'Uploads', { enforceSSL: true });
  return {
    scanBuckets: [
      {
        bucket: uploads,
        onInfected: OnInfected.QUARANTINE,
        blockReadsUntilClean: true,
        readExemptRoles: [iam.Role.fromRoleArn(stack, 'Auditor', role('auditor'))],
      },
    ],
    quarantineReadRole: iam.Role.fromRoleArn(stack, 'Investigator', role('investigator')),
  };
});
const template = built.template.toJSON();
const names = deployedNames(template);
const id = (construct: IConstruct) => built.stack.getLogicalId(construct.node.defaultChild as never);
const roleArnOf = (r: iam.IRole | undefined) => names[id(r as iam.IRole)]?.arn as string;
const actions = built.av.infectedActionsWorkflow;
const uploadsId = Object.keys(template.Resources).find((key) => key.startsWith('Uploads')) as string;
const uploadsArn = names[uploadsId]?.arn as string;
const quarantineId = id(actions?.quarantineBucketOrUndefined as never);
const ROLES = {
  scanner: roleArnOf(built.av.scanner.role),
  machine: roleArnOf(built.av.scanStateMachine.role),
  bulk: roleArnOf(built.av.bulkScan.stateMachine.role),
  actions: roleArnOf(actions?.role),
  updater: roleArnOf(built.av.updater.role),
};

/** The identity policies of a role of the template (its inline and attached AWS::IAM::Policy), resolved. */
function identityOf(roleArn: string): PolicyDocument[] {
  const roleId = Object.keys(names).find((key) => names[key]?.arn === roleArn) as string;
  const resources = template.Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties.Roles as unknown[]).some(
          (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
        ),
    )
    .map((r) => resolved(r.Properties.PolicyDocument, template) as PolicyDocument);
}

/** The resource policy of a bucket, topic or queue of the template, resolved. */
function resourcePolicyOf(type: string, targetKey: string, targetId: string): PolicyDocument {
  const resources = template.Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const policy = Object.values(resources).find(
    (r) => r.Type === type && JSON.stringify(r.Properties[targetKey]).includes(`"${targetId}"`),
  );
  if (!policy) throw new Error(`no ${type} for ${targetId}`);
  return resolved(policy.Properties.PolicyDocument, template) as PolicyDocument;
}

const TLS = { 'aws:SecureTransport': 'true' };
const tags = (t: Record<string, string>) =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [`s3:ExistingObjectTag/${k}`, v]));

describe('a scanned bucket with block reads and quarantine, as synthesized', () => {
  const bucketPolicy = resourcePolicyOf('AWS::S3::BucketPolicy', 'Bucket', uploadsId);
  const on = (key: string) => `${uploadsArn}/${key}`;
  const request = (principal: string, action: string, context: Record<string, string | string[]> = {}) =>
    decide({
      principal,
      action,
      resource: action === 's3:ListBucket' ? uploadsArn : on('in/a.pdf'),
      identity:
        principal.includes(':role/') && Object.values(ROLES).includes(principal)
          ? identityOf(principal)
          : [ALLOW_ALL],
      resourcePolicy: bucketPolicy,
      context: { ...TLS, ...context },
    });

  test.each<[string, keyof typeof ROLES | 'reader', string, Record<string, string | string[]>, string]>([
    ['the scanner reads an unscanned object', 'scanner', 's3:GetObject', {}, 'Allowed'],
    [
      'the scanner tags it',
      'scanner',
      's3:PutObjectTagging',
      { 's3:RequestObjectTagKeys': ['av-status', 'av-timestamp'] },
      'Allowed',
    ],
    ['the scanner cannot overwrite it', 'scanner', 's3:PutObject', {}, 'ImplicitlyDenied'],
    ['the scanner cannot delete it', 'scanner', 's3:DeleteObject', {}, 'ImplicitlyDenied'],
    ['the scan machine heads it (HeadObject is s3:GetObject)', 'machine', 's3:GetObject', {}, 'Allowed'],
    [
      'the scan machine cannot tag it',
      'machine',
      's3:PutObjectTagging',
      { 's3:RequestObjectTagKeys': ['av-status'] },
      'ExplicitlyDenied',
    ],
    ['the bulk scan machine is not exempt: it only lists', 'bulk', 's3:GetObject', {}, 'ExplicitlyDenied'],
    ['the bulk scan machine lists the bucket', 'bulk', 's3:ListBucket', {}, 'Allowed'],
    [
      'the actions role reads an INFECTED object to quarantine it',
      'actions',
      's3:GetObjectVersion',
      tags({ 'av-status': 'INFECTED' }),
      'Allowed',
    ],
    ['the actions role deletes the scanned version', 'actions', 's3:DeleteObjectVersion', {}, 'Allowed'],
    ['the actions role cannot tag it', 'actions', 's3:PutObjectTagging', {}, 'ImplicitlyDenied'],
    [
      'the updater cannot read it',
      'updater',
      's3:GetObject',
      tags({ 'av-status': 'CLEAN' }),
      'ImplicitlyDenied',
    ],
    ['a reader with s3:* cannot read it unscanned', 'reader', 's3:GetObject', {}, 'ExplicitlyDenied'],
    [
      'a reader with s3:* cannot read it INFECTED',
      'reader',
      's3:GetObject',
      tags({ 'av-status': 'INFECTED' }),
      'ExplicitlyDenied',
    ],
    [
      'a reader with s3:* reads it CLEAN',
      'reader',
      's3:GetObject',
      tags({ 'av-status': 'CLEAN' }),
      'Allowed',
    ],
    [
      'a reader with s3:* cannot replicate it out',
      'reader',
      's3:GetObjectVersionForReplication',
      {},
      'ExplicitlyDenied',
    ],
  ])('%s', async (_, who, action, context, expected) => {
    expect(await request(who === 'reader' ? role('reader') : ROLES[who], action, context)).toBe(expected);
  });

  test('without TLS, even the scanner is refused', async () => {
    expect(
      await decide({
        principal: ROLES.scanner,
        action: 's3:GetObject',
        resource: on('a'),
        identity: identityOf(ROLES.scanner),
        resourcePolicy: bucketPolicy,
        context: { 'aws:SecureTransport': 'false' },
      }),
    ).toBe('ExplicitlyDenied');
  });
});

describe('the quarantine bucket, as synthesized', () => {
  const policy = resourcePolicyOf('AWS::S3::BucketPolicy', 'Bucket', quarantineId);
  const object = `${names[quarantineId]?.arn}/uploads/in/a.pdf`;

  test.each([
    ['the actions role writes and reads it back', ROLES.actions, 's3:GetObject', 'Allowed'],
    ['the quarantine read role reads', role('investigator'), 's3:GetObject', 'Allowed'],
    ['anyone else with s3:* cannot', role('reader'), 's3:GetObject', 'ExplicitlyDenied'],
    ['the scanner cannot', ROLES.scanner, 's3:GetObject', 'ExplicitlyDenied'],
  ])('%s', async (_, principal, action, expected) => {
    const identity =
      principal === ROLES.actions || principal === ROLES.scanner ? identityOf(principal) : [ALLOW_ALL];
    expect(
      await decide({ principal, action, resource: object, identity, resourcePolicy: policy, context: TLS }),
    ).toBe(expected);
  });
});

describe('the alarm topic, as synthesized', () => {
  const topicId = id(built.av.monitoring.alarmTopic as never);
  const policy = resourcePolicyOf('AWS::SNS::TopicPolicy', 'Topics', topicId);
  const topic = names[topicId]?.arn as string;
  const alarm = (name: string) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`;
  const publish = (context: Record<string, string>) =>
    decide({
      principal: 'cloudwatch.amazonaws.com',
      action: 'sns:Publish',
      resource: topic,
      resourcePolicy: policy,
      context: { ...TLS, ...context },
    });

  test('CloudWatch may publish for this construct’s alarms, in this account', async () => {
    const name = `${built.av.monitoring.alarmNamePrefix}DefinitionsAgeAlarm`;
    expect(await publish({ 'aws:SourceArn': alarm(name), 'aws:SourceAccount': '123456789012' })).toBe(
      'Allowed',
    );
  });

  test('not for another alarm, nor from another account', async () => {
    expect(
      await publish({ 'aws:SourceArn': alarm('SomeoneElsesAlarm'), 'aws:SourceAccount': '123456789012' }),
    ).not.toBe('Allowed');
    const name = `${built.av.monitoring.alarmNamePrefix}DefinitionsAgeAlarm`;
    expect(await publish({ 'aws:SourceArn': alarm(name), 'aws:SourceAccount': '210987654321' })).not.toBe(
      'Allowed',
    );
  });
});

describe('the dead-letter queues, as synthesized', () => {
  const resources = template.Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const rules = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
  /** Each rule target's dead-letter queue, by rule. */
  const deadLetters = rules.flatMap(([ruleId, rule]) =>
    (
      (rule.Properties.Targets as Array<{
        DeadLetterConfig?: { Arn: { 'Fn::GetAtt': [string, string] } };
      }>) ?? []
    )
      .filter((target) => target.DeadLetterConfig)
      .map((target) => ({ ruleId, queueId: target.DeadLetterConfig?.Arn['Fn::GetAtt'][0] as string })),
  );

  test('there are the upload rules’ and the actions rule’s', () => {
    expect(new Set(deadLetters.map((d) => d.queueId)).size).toBe(2);
  });

  test.each(deadLetters.map((d) => [d.ruleId, d.queueId]))(
    'EventBridge may send the events of rule %s to its dead-letter queue %s, and of no other rule',
    async (ruleId, queueId) => {
      const policy = resourcePolicyOf('AWS::SQS::QueuePolicy', 'Queues', queueId);
      const send = (source: string) =>
        decide({
          principal: 'events.amazonaws.com',
          action: 'sqs:SendMessage',
          resource: names[queueId]?.arn as string,
          resourcePolicy: policy,
          context: { ...TLS, 'aws:SourceArn': source },
        });

      expect(await send(names[ruleId]?.arn as string)).toBe('Allowed');
      expect(await send('arn:aws:events:us-east-1:123456789012:rule/another')).not.toBe('Allowed');
    },
  );
});

describe('the block-reads statements documented for imported buckets', () => {
  const ROOT = path.join(__dirname, '..', '..');
  const block = /<!-- block-reads-policy -->\s*```json\n([\s\S]*?)```/.exec(
    readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8'),
  )?.[1] as string;
  const documented = (placeholders: Record<string, string>) =>
    JSON.parse(block.replace(/<[A-Za-z]+>/g, (p) => placeholders[p] ?? p)) as PolicyDocument;
  const imported = 'arn:aws:s3:::imported';
  const PLACEHOLDERS = {
    '<bucket>': 'imported',
    '<ScannerRoleArn>': ROLES.scanner,
    '<ScanStateMachineRoleArn>': ROLES.machine,
    '<ActionsRoleArn>': ROLES.actions,
    '<OtherReaderRoleArn>': role('auditor'),
  };
  /** The actions role's own policy for a bucket that quarantines (as its grant reads). */
  const actionsIdentity = identityOf(ROLES.actions).map(
    (doc) => JSON.parse(JSON.stringify(doc).replaceAll(uploadsArn, imported)) as PolicyDocument,
  );
  const quarantineRead = (policy: PolicyDocument) =>
    decide({
      principal: ROLES.actions,
      action: 's3:GetObjectVersion',
      resource: `${imported}/in/a.pdf`,
      identity: actionsIdentity,
      resourcePolicy: policy,
      context: { ...TLS, ...tags({ 'av-status': 'INFECTED' }) },
    });

  test('let the actions role read an INFECTED object to quarantine it', async () => {
    expect(await quarantineRead(documented(PLACEHOLDERS))).toBe('Allowed');
  });

  test('without the actions role (as they were documented before), every quarantine is refused', async () => {
    const before = documented({ ...PLACEHOLDERS, '<ActionsRoleArn>': role('auditor') });

    expect(await quarantineRead(before)).toBe('ExplicitlyDenied');
    judgeFound(
      'iam-simulate',
      "the block-reads statements documented for imported buckets exempted only the scanner and scan machine roles, so every quarantine or delete of an INFECTED object was refused (the project's judge never asked for the actions role); fixed with the ActionsRoleArn output and placeholder",
    );
  });
});

describe('the definitions bucket, as synthesized', () => {
  const bucketId = id(built.av.definitions.bucket as never);
  const policy = resourcePolicyOf('AWS::S3::BucketPolicy', 'Bucket', bucketId);
  const object = `${names[bucketId]?.arn}/av-definitions/daily.cld`;

  test.each([
    ['the updater publishes', ROLES.updater, 's3:PutObject', 'Allowed'],
    ['the scanner downloads', ROLES.scanner, 's3:GetObject', 'Allowed'],
    ['the scanner cannot publish', ROLES.scanner, 's3:PutObject', 'ExplicitlyDenied'],
    ['a role with s3:* cannot publish', role('admin'), 's3:PutObject', 'ExplicitlyDenied'],
    ['the actions role cannot read', ROLES.actions, 's3:GetObject', 'ImplicitlyDenied'],
  ])('%s', async (_, principal, action, expected) => {
    const identity = Object.values(ROLES).includes(principal) ? identityOf(principal) : [ALLOW_ALL];
    expect(
      await decide({ principal, action, resource: object, identity, resourcePolicy: policy, context: TLS }),
    ).toBe(expected);
  });
});

describe('moving a bucket from GuardDuty (tagPreset: guardduty): its bucket policy', () => {
  const GUARDDUTY = role('GuardDutyMalwareProtectionRole');
  const bucket = 'arn:aws:s3:::migrated';
  /** The shape of GuardDuty's tag-based access control: reads and tagging for GuardDuty's role alone. */
  const guardDutyPolicy = policyOf([
    {
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: `${bucket}/*`,
      Condition: {
        StringNotEquals: { 's3:ExistingObjectTag/GuardDutyMalwareScanStatus': 'NO_THREATS_FOUND' },
        ArnNotEquals: { 'aws:PrincipalArn': GUARDDUTY },
      },
    },
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObjectTagging',
      Resource: `${bucket}/*`,
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': GUARDDUTY } },
    },
  ]);
  const block = /<!-- block-reads-policy-guardduty -->\s*```json\n([\s\S]*?)```/.exec(
    readFileSync(path.join(__dirname, '..', '..', 'docs', 'deploy.md'), 'utf8'),
  )?.[1] as string;
  const documented = JSON.parse(
    block
      .replaceAll('<bucket>', 'migrated')
      .replaceAll('<ScannerRoleArn>', SCANNER)
      .replaceAll('<ScanStateMachineRoleArn>', MACHINE)
      .replaceAll('<ActionsRoleArn>', ACTIONS),
  ) as PolicyDocument;
  const scannerTags = (policy: PolicyDocument) =>
    decide({
      principal: SCANNER,
      action: 's3:PutObjectTagging',
      resource: `${bucket}/a.pdf`,
      identity: [ALLOW_ALL],
      resourcePolicy: policy,
      context: { 's3:RequestObjectTagKeys': ['GuardDutyMalwareScanStatus', 'av-timestamp'] },
    });
  const reads = (principal: string, status: string, policy: PolicyDocument) =>
    decide({
      principal,
      action: 's3:GetObject',
      resource: `${bucket}/a.pdf`,
      identity: [ALLOW_ALL],
      resourcePolicy: policy,
      context: { 's3:ExistingObjectTag/GuardDutyMalwareScanStatus': status },
    });

  test('GuardDuty’s statements refuse the scanner its tag: every scan would end FAILED', async () => {
    expect(await scannerTags(guardDutyPolicy)).toBe('ExplicitlyDenied');
    expect(await reads(SCANNER, 'FAILED', guardDutyPolicy)).toBe('ExplicitlyDenied');
  });

  test('the documented statements let the scanner tag and read, and keep others to NO_THREATS_FOUND', async () => {
    expect(await scannerTags(documented)).toBe('Allowed');
    expect(await reads(SCANNER, 'THREATS_FOUND', documented)).toBe('Allowed');
    expect(await reads(ACTIONS, 'THREATS_FOUND', documented)).toBe('Allowed');
    expect(await reads(READER, 'THREATS_FOUND', documented)).toBe('ExplicitlyDenied');
    expect(await reads(READER, 'NO_THREATS_FOUND', documented)).toBe('Allowed');
  });

  test('are the construct’s own statements with the preset’s tag and clean value', () => {
    const own = blockReadsStatements({
      ...OPTIONS,
      bucketArn: bucket,
      bucketName: 'migrated',
      statusTagKey: 'GuardDutyMalwareScanStatus',
      cleanStatus: 'NO_THREATS_FOUND',
    })
      .slice(0, 3)
      .map((s) => s.toStatementJson());

    expect(JSON.parse(JSON.stringify(documented.Statement))).toEqual(JSON.parse(JSON.stringify(own)));
  });
});
