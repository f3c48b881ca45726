import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  applyBlockReads,
  BLOCK_READS_SIDS,
  BlockReadsError,
  type BlockReadsOptions,
  blockReadsStatements,
} from '../../infra/block-reads';
import {
  deleteObjectTagging,
  denyingStatements,
  getObject,
  isDenied,
  type PolicyStatementJson,
  putObject,
  putObjectTagging,
} from '../support/s3-policy';
import { logicalId, onlyResource, testApp } from './support';

const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
const SCANNER = role('scanner');
const MACHINE = role('scan-machine');
const AUDITOR = role('auditor');
const UPLOADER = role('uploader');
const READER = role('reader');
const ACTIONS = role('actions');
const BUCKET = 'uploads';

const TAG_OPTIONS = {
  statusTagKey: 'av-status',
  timestampTagKey: 'av-timestamp',
  cleanStatus: 'CLEAN',
} as const;

const OPTIONS: BlockReadsOptions = {
  ...TAG_OPTIONS,
  bucketArn: `arn:aws:s3:::${BUCKET}`,
  bucketName: BUCKET,
  taggerRoleArns: [SCANNER],
  readExemptRoleArns: [MACHINE, ACTIONS, AUDITOR],
};

describe('the block-reads bucket policy of a bucket this app defines', () => {
  const stack = new Stack(testApp(), 'Test');
  const bucket = new s3.Bucket(stack, 'Uploads', { bucketName: BUCKET });
  const scanner = new iam.Role(stack, 'Scanner', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  const machine = new iam.Role(stack, 'Machine', {
    assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
  });
  const auditor = iam.Role.fromRoleArn(stack, 'Auditor', AUDITOR);
  applyBlockReads(bucket, {
    ...TAG_OPTIONS,
    taggerRoleArns: [scanner.roleArn],
    readExemptRoleArns: [machine.roleArn, auditor.roleArn],
  });
  const template = Template.fromStack(stack);
  const statements: PolicyStatementJson[] = onlyResource<{
    PolicyDocument: { Statement: PolicyStatementJson[] };
  }>(template, 'AWS::S3::BucketPolicy').PolicyDocument.Statement;

  const bucketId = logicalId(stack, bucket);
  const scannerArn = { 'Fn::GetAtt': [logicalId(stack, scanner), 'Arn'] };
  const machineArn = { 'Fn::GetAtt': [logicalId(stack, machine), 'Arn'] };
  const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] };
  const common = { Effect: 'Deny', Principal: { AWS: '*' }, Resource: objects };

  test('is on that bucket', () => {
    expect(onlyResource(template, 'AWS::S3::BucketPolicy').Bucket).toEqual({ Ref: bucketId });
  });

  test('denies reading an object unless its status tag is CLEAN, except the scanner, the state machine and named roles', () => {
    expect(statements[0]).toEqual({
      ...common,
      Sid: BLOCK_READS_SIDS.read,
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Condition: {
        StringNotEquals: { 's3:ExistingObjectTag/av-status': 'CLEAN' },
        ArnNotEquals: { 'aws:PrincipalArn': [scannerArn, machineArn, AUDITOR] },
      },
    });
  });

  test('denies setting the status or timestamp tag, on upload or later, to all but the scanner', () => {
    expect(statements[1]).toEqual({
      ...common,
      Sid: BLOCK_READS_SIDS.setScanTags,
      Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
      Condition: {
        'ForAnyValue:StringEqualsIgnoreCase': { 's3:RequestObjectTagKeys': ['av-status', 'av-timestamp'] },
        ArnNotEquals: { 'aws:PrincipalArn': [scannerArn] },
      },
    });
  });

  test('denies replacing or removing the tags of a scanned object to all but the scanner', () => {
    expect(statements[2]).toEqual({
      ...common,
      Sid: BLOCK_READS_SIDS.retagScanned,
      Action: [
        's3:DeleteObjectTagging',
        's3:DeleteObjectVersionTagging',
        's3:PutObjectTagging',
        's3:PutObjectVersionTagging',
      ],
      Condition: {
        Null: { 's3:ExistingObjectTag/av-status': 'false' },
        ArnNotEquals: { 'aws:PrincipalArn': [scannerArn] },
      },
    });
  });

  test('denies copies from other buckets', () => {
    expect(statements[3]).toEqual({
      ...common,
      Sid: BLOCK_READS_SIDS.copyIn,
      Action: 's3:PutObject',
      Condition: {
        Null: { 's3:x-amz-copy-source': 'false' },
        StringNotLike: {
          's3:x-amz-copy-source': [
            { 'Fn::Join': ['', [{ Ref: bucketId }, '/*']] },
            { 'Fn::Join': ['', ['/', { Ref: bucketId }, '/*']] },
          ],
        },
        ArnNotEquals: { 'aws:PrincipalArn': [scannerArn] },
      },
    });
  });

  test('denies replicating objects out to all but the read-exempt roles, and replicas in to all', () => {
    expect(statements[4]).toEqual({
      ...common,
      Sid: BLOCK_READS_SIDS.replicateOut,
      Action: 's3:GetObjectVersionForReplication',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [scannerArn, machineArn, AUDITOR] } },
    });
    expect(statements[5]).toEqual({
      ...common,
      Sid: BLOCK_READS_SIDS.replicateIn,
      Action: ['s3:ReplicateObject', 's3:ReplicateTags'],
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [scannerArn] } },
    });
    expect(statements).toHaveLength(6);
  });

  test('means what the pure statements mean, once the template is resolved', () => {
    const resolved = resolve(statements, {
      [JSON.stringify({ Ref: bucketId })]: BUCKET,
      [JSON.stringify({ 'Fn::GetAtt': [bucketId, 'Arn'] })]: `arn:aws:s3:::${BUCKET}`,
      [JSON.stringify(scannerArn)]: SCANNER,
      [JSON.stringify(machineArn)]: MACHINE,
    }) as PolicyStatementJson[];

    for (const request of [
      getObject({ bucket: BUCKET, key: 'a', principalArn: READER }),
      getObject({ bucket: BUCKET, key: 'a', principalArn: MACHINE }),
      putObject({ bucket: BUCKET, key: 'a', principalArn: UPLOADER, tags: { 'av-status': 'CLEAN' } }),
      putObject({ bucket: BUCKET, key: 'a', principalArn: UPLOADER, copySource: 'elsewhere/a' }),
      putObject({ bucket: BUCKET, key: 'a', principalArn: UPLOADER, copySource: `${BUCKET}/b` }),
    ]) {
      expect(denyingStatements(resolved, request)).toEqual(denyingStatements(POLICY, request));
    }
  });
});

/** The pure statements, as JSON, for the requests below. */
const POLICY = blockReadsStatements(OPTIONS).map((s) => s.toStatementJson() as PolicyStatementJson);
const CLEAN = { 'av-status': 'CLEAN', 'av-timestamp': '2026-11-25T10:00:00.000Z' };
const INFECTED = { 'av-status': 'INFECTED', 'av-timestamp': '2026-11-25T10:00:00.000Z' };
const object = { bucket: BUCKET, key: 'incoming/report.pdf' };

describe('what the policy allows and denies, evaluated by IAM rules', () => {
  describe('reads', () => {
    test.each([
      ['a reader, object not yet scanned', true, { principalArn: READER }],
      ['a reader, object CLEAN', false, { principalArn: READER, existingTags: CLEAN }],
      ['a reader, object INFECTED', true, { principalArn: READER, existingTags: INFECTED }],
      [
        'a reader, status "clean" in another case',
        true,
        { principalArn: READER, existingTags: { 'av-status': 'clean' } },
      ],
      ['a reader, an older version not scanned', true, { principalArn: READER, version: true }],
      [
        'a reader, an older version CLEAN',
        false,
        { principalArn: READER, existingTags: CLEAN, version: true },
      ],
      ['an anonymous request, object not scanned', true, {}],
      ['the scanner, object not scanned', false, { principalArn: SCANNER }],
      ['the scan state machine (HeadObject), object not scanned', false, { principalArn: MACHINE }],
      ['a named role, object INFECTED', false, { principalArn: AUDITOR, existingTags: INFECTED }],
    ])('%s: denied %s', (_, denied, call) => {
      expect(isDenied(POLICY, getObject({ ...object, ...call }))).toBe(denied);
    });

    test('a read is denied by the read statement alone', () => {
      expect(denyingStatements(POLICY, getObject({ ...object, principalArn: READER }))).toEqual([
        BLOCK_READS_SIDS.read,
      ]);
    });
  });

  describe('uploads', () => {
    test.each([
      ['without tags', false, {}],
      ['with tags of its own', false, { tags: { project: 'x' } }],
      ['with av-status=CLEAN', true, { tags: { 'av-status': 'CLEAN', project: 'x' } }],
      ['with av-timestamp', true, { tags: { 'av-timestamp': '2026-01-01T00:00:00Z' } }],
      ['with AV-Status=CLEAN (another case)', true, { tags: { 'AV-Status': 'CLEAN' } }],
    ])('an uploader PutObject %s: denied %s', (_, denied, call) => {
      expect(isDenied(POLICY, putObject({ ...object, principalArn: UPLOADER, ...call }))).toBe(denied);
    });
  });

  describe('tags after upload', () => {
    test.each([
      [
        'dropping av-status on a scanned object',
        true,
        putObjectTagging,
        { existingTags: CLEAN, tags: { project: 'x' } },
      ],
      [
        'keeping the same scan tags on a scanned object',
        true,
        putObjectTagging,
        { existingTags: CLEAN, tags: CLEAN },
      ],
      ['removing all tags of a scanned object', true, deleteObjectTagging, { existingTags: INFECTED }],
      [
        'removing the tags of a scanned version',
        true,
        deleteObjectTagging,
        { existingTags: CLEAN, version: true },
      ],
      [
        'setting av-status=CLEAN on an object not scanned',
        true,
        putObjectTagging,
        { tags: { 'av-status': 'CLEAN' } },
      ],
      [
        'tagging an object not yet scanned with its own tags',
        false,
        putObjectTagging,
        { tags: { project: 'x' } },
      ],
      ['removing the tags of an object not yet scanned', false, deleteObjectTagging, {}],
    ])('an uploader %s: denied %s', (_, denied, request, call) => {
      expect(isDenied(POLICY, request({ ...object, principalArn: UPLOADER, ...call }))).toBe(denied);
    });

    test.each([
      ['retagging a scanned version', { existingTags: INFECTED, tags: CLEAN, version: true }],
      ['tagging an object not yet scanned', { tags: CLEAN }],
      ['retagging a scanned object', { existingTags: CLEAN, tags: { ...INFECTED, project: 'x' } }],
    ])('the scanner %s: allowed', (_, call) => {
      expect(isDenied(POLICY, putObjectTagging({ ...object, principalArn: SCANNER, ...call }))).toBe(false);
    });

    test('the state machine may read but not tag', () => {
      expect(isDenied(POLICY, putObjectTagging({ ...object, principalArn: MACHINE, tags: CLEAN }))).toBe(
        true,
      );
    });
  });

  describe('copies into the bucket', () => {
    test.each([
      ['from another bucket', true, 'elsewhere/report.pdf'],
      ['from a bucket whose name starts like this one', true, `${BUCKET}-staging/report.pdf`],
      ['from another bucket, with a leading slash', true, '/elsewhere/report.pdf'],
      ['within the bucket', false, `${BUCKET}/other/report.pdf`],
      ['within the bucket, with a leading slash', false, `/${BUCKET}/other/report.pdf`],
      ['within the bucket, a version', false, `${BUCKET}/other/report.pdf?versionId=abc`],
    ])('a copy %s: denied %s', (_, denied, copySource) => {
      expect(isDenied(POLICY, putObject({ ...object, principalArn: UPLOADER, copySource }))).toBe(denied);
    });

    test('a cross-bucket copy is denied by the copy statement', () => {
      expect(
        denyingStatements(
          POLICY,
          putObject({ ...object, principalArn: UPLOADER, copySource: 'elsewhere/a' }),
        ),
      ).toEqual([BLOCK_READS_SIDS.copyIn]);
    });
  });

  test('the policy applies to this bucket only', () => {
    expect(isDenied(POLICY, getObject({ bucket: 'other', key: 'a', principalArn: READER }))).toBe(false);
  });
});

describe('configurations that cannot work are refused', () => {
  test('an imported bucket, whose policy CDK cannot change, points to the documented statements', () => {
    const stack = new Stack(testApp(), 'Imported');
    const bucket = s3.Bucket.fromBucketName(stack, 'Uploads', BUCKET);

    const apply = () =>
      applyBlockReads(bucket, { ...TAG_OPTIONS, taggerRoleArns: [SCANNER], readExemptRoleArns: [] });

    expect(apply).toThrow(BlockReadsError);
    expect(apply).toThrow(/bucket "uploads" is imported.*docs\/deploy\.md/);
    expect(Template.fromStack(stack).findResources('AWS::S3::BucketPolicy')).toEqual({});
  });

  test.each([
    [{ taggerRoleArns: [] }, /taggerRoleArns is empty/],
    [{ readExemptRoleArns: ['arn:aws:sts::123456789012:assumed-role/reader/session'] }, /never a session's/],
    [{ taggerRoleArns: ['scanner'] }, /must be IAM role ARNs/],
    [{ timestampTagKey: 'AV-STATUS' }, /statusTagKey and timestampTagKey must differ/],
  ])('%j', (change, message) => {
    const apply = () => blockReadsStatements({ ...OPTIONS, ...change });
    expect(apply).toThrow(BlockReadsError);
    expect(apply).toThrow(message);
  });

  test.each([
    [{ statusTagKey: '' }, /statusTagKey must be a valid S3 tag key/],
    [{ cleanStatus: '' }, /cleanStatus must be a valid, non-empty S3 tag value/],
  ])('%j', (change, message) => {
    expect(() => blockReadsStatements({ ...OPTIONS, ...change })).toThrow(message);
  });
});

describe('the statement documented for imported buckets', () => {
  const ROOT = path.join(__dirname, '..', '..');
  const blocks = ['docs/deploy.md']
    .map((file) => path.join(ROOT, file))
    .filter((file) => existsSync(file))
    .flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/<!-- block-reads-policy -->\s*```json\n([\s\S]*?)```/g)].map(
        (match) => match[1] ?? '',
      ),
    );

  test('is in the docs', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  test.each(blocks.map((block, i) => [i, block]))(
    'block %d is what blockReadsStatements generates',
    (_, block) => {
      const placeholders: Record<string, string> = {
        '<bucket>': BUCKET,
        '<ScannerRoleArn>': SCANNER,
        '<ScanStateMachineRoleArn>': MACHINE,
        '<ActionsRoleArn>': ACTIONS,
        '<OtherReaderRoleArn>': AUDITOR,
      };
      const documented = JSON.parse(block.replace(/<[A-Za-z]+>/g, (p) => placeholders[p] ?? p));

      expect(documented.Version).toBe('2012-10-17');
      expect(documented.Statement.map(normalise)).toEqual(POLICY.map(normalise));
    },
  );
});

/** A statement with every list sorted and every single value as a list, so equal policies compare equal. */
function normalise(statement: unknown): unknown {
  if (typeof statement === 'string') return [statement];
  if (Array.isArray(statement)) return [...statement].sort();
  if (typeof statement !== 'object' || statement === null) return statement;
  return Object.fromEntries(Object.entries(statement).map(([key, value]) => [key, normalise(value)]));
}

/** Template values with the given intrinsics replaced by what they resolve to (Fn::Join joined). */
function resolve(value: unknown, refs: Record<string, string>): unknown {
  const known = refs[JSON.stringify(value)];
  if (known !== undefined) return known;
  if (Array.isArray(value)) return value.map((v) => resolve(v, refs));
  if (typeof value !== 'object' || value === null) return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => resolve(part, refs)).join(join[0]);
  const entries = Object.entries(value);
  const intrinsic = entries.find(([key]) => key === 'Ref' || key.startsWith('Fn::'));
  if (intrinsic) throw new Error(`unresolved ${JSON.stringify(value)}`);
  return Object.fromEntries(entries.map(([key, v]) => [key, resolve(v, refs)]));
}
