import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { memberTemplate } from '../../../infra/organization/member-template';
import { AccountClients } from '../../../src/accounts/account-clients';
import { type MemberCredentialSet, MemberCredentials } from '../../../src/accounts/member-credentials';
import { type Config, loadConfig } from '../../../src/config';
import { createScanFileHandler } from '../../../src/handlers/scan-file';
import { findingId } from '../../../src/results/security-hub-finding';
import { Scanner } from '../../../src/scan/scanner';
import { silentLogger } from '../../support/harness';
import { resolve } from '../../support/intrinsics';
import { type Moto, startMoto } from '../../support/moto';
import { EICAR, writeTestDatabase } from '../../support/signatures';

/**
 * The organization hub's data path on moto with IAM enforcement on: the hub (account A,
 * 123456789012) scans an upload in a bucket of account B (222222222222) with credentials of B's
 * member role, and the object is tagged in B. moto checks identity policies on action and
 * resource (not conditions, not trust or bucket policies: test/infra/organization.test.ts judges
 * those with an IAM simulator). The member role's policies are the member template's own.
 */
const HUB = '123456789012';
const MEMBER = '222222222222';
const REGION = 'us-east-1';
const CHOSEN = 'member-b-uploads';
const OTHER = 'member-b-payroll';
const organization = {
  hubAccount: HUB,
  partition: 'aws',
  memberRoleName: 'lambda-av-member',
  securityHub: true,
};

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let moto: Moto;
let workDir: string;
let hubCredentials: Credentials;
let memberAdmin: Credentials;
let config: Config;
let scanner: Scanner;
let hubS3: S3Client;

const client = <C>(
  Client: new (config: object) => C,
  credentials: Credentials | (() => Promise<MemberCredentialSet>),
) =>
  new Client({
    endpoint: moto.endpoint,
    region: REGION,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });

/** The member role's policies as the member template gives them for this deployment. */
function memberPolicies(): Array<{ name: string; document: unknown }> {
  const template = memberTemplate() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Condition?: string }>;
    Conditions: Record<string, unknown>;
  };
  const deployment = {
    partition: 'aws',
    account: MEMBER,
    region: REGION,
    conditions: template.Conditions,
    refs: {
      OrganizationId: 'o-abcdefghij',
      HubAccountId: HUB,
      HubRoleArns: [`arn:aws:iam::${HUB}:user/hub-scanner`],
      HubEventBusArn: `arn:aws:events:${REGION}:${HUB}:event-bus/hub`,
      BucketNames: [CHOSEN],
      KmsKeyArns: [''],
      RoleName: 'lambda-av-member',
      AllowDelete: 'false',
      SecurityHubFindings: 'true',
    },
  };
  const roleId = Object.keys(template.Resources).find(
    (id) => id.startsWith('MemberRole') && template.Resources[id]?.Type === 'AWS::IAM::Role',
  );
  return Object.entries(template.Resources)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]) &&
        (r.Condition === undefined || resolve({ Condition: r.Condition }, deployment) === true),
    )
    .map(([id, r]) => ({ name: id, document: resolve(r.Properties.PolicyDocument, deployment) }));
}

beforeAll(async () => {
  // Six requests go through unchecked: they create an identity in each account.
  moto = await startMoto({ unauthenticatedActions: 6 });
  const bootstrap = { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' };
  const setup = await client(STSClient, bootstrap).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/Setup`, RoleSessionName: 'setup' }),
  );
  memberAdmin = {
    accessKeyId: setup.Credentials?.AccessKeyId ?? '',
    secretAccessKey: setup.Credentials?.SecretAccessKey ?? '',
    sessionToken: setup.Credentials?.SessionToken ?? '',
  };
  const everything = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  });
  const memberIam = client(IAMClient, memberAdmin);
  await memberIam.send(
    new CreateRoleCommand({
      RoleName: 'Setup',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await memberIam.send(
    new PutRolePolicyCommand({ RoleName: 'Setup', PolicyName: 'all', PolicyDocument: everything }),
  );
  const bootstrapIam = client(IAMClient, bootstrap);
  await bootstrapIam.send(new CreateUserCommand({ UserName: 'admin' }));
  await bootstrapIam.send(
    new PutUserPolicyCommand({ UserName: 'admin', PolicyName: 'all', PolicyDocument: everything }),
  );
  const adminKey = (await bootstrapIam.send(new CreateAccessKeyCommand({ UserName: 'admin' }))).AccessKey;
  const hubAdmin = {
    accessKeyId: adminKey?.AccessKeyId ?? '',
    secretAccessKey: adminKey?.SecretAccessKey ?? '',
  };

  // Account A, the hub: definitions, a report bucket, and the scanner's identity, which may
  // assume member roles and read its own buckets, nothing in B.
  const hubAdminS3 = client(S3Client, hubAdmin);
  workDir = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-org-'));
  await hubAdminS3.send(new CreateBucketCommand({ Bucket: 'hub-definitions' }));
  await hubAdminS3.send(new CreateBucketCommand({ Bucket: 'hub-reports' }));
  const dbDir = path.join(workDir, 'db');
  await writeTestDatabase(dbDir);
  // Published with a manifest, as the updater does: moto 5.2.1 refuses the signature of a
  // request whose URL holds a percent-encoded character (the plain layout lists with
  // `delimiter=%2F`), which real S3 accepts.
  const files = [];
  for (const name of await readdir(dbDir)) {
    const body = await readFile(path.join(dbDir, name));
    await hubAdminS3.send(new PutObjectCommand({ Bucket: 'hub-definitions', Key: name, Body: body }));
    const sha256 = createHash('sha256').update(body).digest('hex');
    files.push({ name, key: name, size: body.length, sha256, builtAt: new Date().toISOString() });
  }
  const manifest = {
    schema: 1,
    version: 'org-test-1',
    publishedAt: new Date().toISOString(),
    builtAt: new Date().toISOString(),
    files,
  };
  await hubAdminS3.send(
    new PutObjectCommand({ Bucket: 'hub-definitions', Key: 'manifest.json', Body: JSON.stringify(manifest) }),
  );
  const hubIam = client(IAMClient, hubAdmin);
  await hubIam.send(new CreateUserCommand({ UserName: 'hub-scanner' }));
  await hubIam.send(
    new PutUserPolicyCommand({
      UserName: 'hub-scanner',
      PolicyName: 'scanner',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/lambda-av-member' },
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: ['arn:aws:s3:::hub-definitions', 'arn:aws:s3:::hub-definitions/*'],
          },
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:GetObject'],
            Resource: 'arn:aws:s3:::hub-reports/*',
          },
        ],
      }),
    }),
  );
  const scannerKey = (await hubIam.send(new CreateAccessKeyCommand({ UserName: 'hub-scanner' }))).AccessKey;
  hubCredentials = {
    accessKeyId: scannerKey?.AccessKeyId ?? '',
    secretAccessKey: scannerKey?.SecretAccessKey ?? '',
  };

  // Account B, the member: two buckets, and the member role of the member template, which
  // covers one of them.
  const memberS3 = client(S3Client, memberAdmin);
  for (const bucket of [CHOSEN, OTHER]) await memberS3.send(new CreateBucketCommand({ Bucket: bucket }));
  await memberIam.send(
    new CreateRoleCommand({
      RoleName: 'lambda-av-member',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  for (const policy of memberPolicies()) {
    await memberIam.send(
      new PutRolePolicyCommand({
        RoleName: 'lambda-av-member',
        PolicyName: policy.name,
        PolicyDocument: JSON.stringify(policy.document),
      }),
    );
  }
  // moto checks every action but S3's against the resource "*" (moto/core/authorization.py), so
  // it cannot match the template's statement scoped to the account's default product: this one
  // statement is moto's alone. The simulator judges the template's own (test/infra/organization.test.ts).
  await memberIam.send(
    new PutRolePolicyCommand({
      RoleName: 'lambda-av-member',
      PolicyName: 'moto-securityhub-resource-star',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'securityhub:BatchImportFindings', Resource: '*' }],
      }),
    }),
  );
  await memberS3.send(new PutObjectCommand({ Bucket: CHOSEN, Key: 'inbox/eicar.txt', Body: EICAR }));
  await memberS3.send(new PutObjectCommand({ Bucket: CHOSEN, Key: 'inbox/clean.txt', Body: 'hello' }));
  await memberS3.send(new PutObjectCommand({ Bucket: OTHER, Key: 'eicar.txt', Body: EICAR }));
  // Keys that read the same URL-encoded: moto refuses signatures of percent-encoded paths (above).
  await memberS3.send(new PutObjectCommand({ Bucket: CHOSEN, Key: 'bulk-eicar.txt', Body: EICAR }));
  await memberS3.send(new PutObjectCommand({ Bucket: CHOSEN, Key: 'bulk-clean.txt', Body: 'hello' }));

  config = loadConfig({
    CLAMAV_BUCKET_NAME: 'hub-definitions',
    PATH_TO_AV_DEFINITIONS: '',
    AV_WORK_DIR: path.join(workDir, 'av'),
    CLAMD_START_TIMEOUT_MS: '30000',
    ORGANIZATION: JSON.stringify(organization),
  });
  hubS3 = client(S3Client, hubCredentials);
  const memberCredentials = new MemberCredentials({ organization, sts: client(STSClient, hubCredentials) });
  scanner = new Scanner({
    config,
    s3: hubS3,
    logger: silentLogger,
    accounts: new AccountClients({
      organization,
      s3: hubS3,
      credentials: memberCredentials,
      s3Factory: (credentials) => client(S3Client, credentials ?? hubCredentials),
      securityHubFactory: (credentials) => client(SecurityHubClient, credentials ?? hubCredentials),
    }),
  });
}, 120_000);

afterAll(async () => {
  await scanner?.shutdown();
  await moto?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function memberTags(bucket: string, key: string): Promise<Record<string, string>> {
  const { TagSet = [] } = await client(S3Client, memberAdmin).send(
    new GetObjectTaggingCommand({ Bucket: bucket, Key: key }),
  );
  return Object.fromEntries(TagSet.map((tag) => [tag.Key, tag.Value]));
}

/** An "Object Created" event as account B's rule forwards it: `account` is B, set by EventBridge. */
function objectCreated(bucket: string, key: string, size: number) {
  return { bucket, eventKey: key, size, account: MEMBER };
}

test("the hub's own identity cannot read B's objects: moto refuses it", async () => {
  const refused = await hubS3
    .send(new GetObjectCommand({ Bucket: CHOSEN, Key: 'inbox/eicar.txt' }))
    .catch((e: Error) => e);
  expect(refused).toBeInstanceOf(Error);
  expect((refused as Error).name).toBe('AccessDenied');
});

test("an upload to B's bucket is scanned by the hub through B's member role and tagged in B; the result names B", async () => {
  const result = await scanner.scanEvent(objectCreated(CHOSEN, 'inbox/eicar.txt', EICAR.length));

  expect(result).toMatchObject({
    status: 'INFECTED',
    account: MEMBER,
    bucket: CHOSEN,
    key: 'inbox/eicar.txt',
  });
  expect(await memberTags(CHOSEN, 'inbox/eicar.txt')).toMatchObject({ 'av-status': 'INFECTED' });
});

test('the INFECTED result is a Security Hub finding in B, imported by B, updated (not duplicated) by a second scan', async () => {
  const securityHub = client(SecurityHubClient, memberAdmin);
  const findings = async () => (await securityHub.send(new GetFindingsCommand({}))).Findings ?? [];

  await scanner.scanEvent(objectCreated(CHOSEN, 'inbox/eicar.txt', EICAR.length));

  const found = await findings();
  expect(found).toHaveLength(1);
  expect(found[0]).toMatchObject({
    Id: findingId({ bucket: CHOSEN, key: 'inbox/eicar.txt' }),
    AwsAccountId: MEMBER,
    ProductArn: `arn:aws:securityhub:${REGION}:${MEMBER}:product/${MEMBER}/default`,
  });
  const hubFindings = await client(SecurityHubClient, hubCredentials)
    .send(new GetFindingsCommand({}))
    .catch((error: Error) => error);
  // The hub's identity may not even look: nothing was imported into A in B's name either way.
  expect(hubFindings instanceof Error || (hubFindings.Findings ?? []).length === 0).toBe(true);
});

test('a bucket of B that the member role does not cover is refused: PROCESSING_ERROR, nothing tagged', async () => {
  const result = await scanner.scanEvent(objectCreated(OTHER, 'eicar.txt', EICAR.length));

  expect(result).toMatchObject({ status: 'PROCESSING_ERROR', account: MEMBER, error: 'AccessDeniedError' });
  expect(await memberTags(OTHER, 'eicar.txt')).toEqual({});
});

test("a bulk scan of B's bucket: the plan lists it through the member role into the hub's report bucket, and the batch scans and tags in B", async () => {
  const handler = createScanFileHandler({
    config,
    scanner,
    lambda: new LambdaClient({ region: REGION, endpoint: 'http://127.0.0.1:9' }),
  });
  const plan = (await handler({
    bulkScan: { bucket: CHOSEN, account: MEMBER, prefix: 'bulk-', mode: 'all' },
    limits: { maxConcurrency: 2, batchSize: 10, reportBucket: 'hub-reports' },
    execution: 'run-1',
  })) as unknown as {
    source: string;
    manifest: { bucket: string; key: string };
    batch: Record<string, unknown>;
  };
  expect(plan).toMatchObject({
    source: 'inventory',
    manifest: { bucket: 'hub-reports' },
    batch: { account: MEMBER },
  });

  // What the Distributed Map's inventory reader would hand out (aws-local-stepfunctions and moto
  // run no Distributed Map): the manifest's CSV files, read from the hub's own bucket.
  const read = async (key: string) =>
    Buffer.from(
      await ((
        await hubS3.send(new GetObjectCommand({ Bucket: 'hub-reports', Key: key }))
      ).Body?.transformToByteArray() ?? []),
    );
  const manifest = JSON.parse((await read(plan.manifest.key)).toString()) as {
    fileSchema: string;
    files: Array<{ key: string }>;
  };
  const columns = manifest.fileSchema.split(', ');
  const items = [];
  for (const file of manifest.files) {
    for (const line of gunzipSync(await read(file.key))
      .toString()
      .trim()
      .split('\n')) {
      const values = line.split(',').map((field) => field.replace(/^"|"$/g, ''));
      items.push(Object.fromEntries(columns.map((column, i) => [column, values[i] ?? ''])));
    }
  }
  expect(items.map((item) => item.Key).sort()).toEqual(['bulk-clean.txt', 'bulk-eicar.txt']);

  const batch = (await handler({ Items: items, BatchInput: plan.batch })) as unknown as {
    report: { results: Array<{ key: string; status?: string; account?: string }> };
  };

  expect(batch.report.results.map((r) => [r.key, r.status, r.account]).sort()).toEqual([
    ['bulk-clean.txt', 'CLEAN', MEMBER],
    ['bulk-eicar.txt', 'INFECTED', MEMBER],
  ]);
  expect(await memberTags(CHOSEN, 'bulk-clean.txt')).toMatchObject({ 'av-status': 'CLEAN' });
});

test("the member template's notifications handler turns on EventBridge notifications, keeping the bucket's other configurations", async () => {
  const handler = require('../../../infra/organization/eventbridge-notifications.js') as {
    enable(s3: S3Client, bucket: string): Promise<boolean>;
  };
  const s3 = client(S3Client, memberAdmin);
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: OTHER,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: 'existing',
            QueueArn: `arn:aws:sqs:${REGION}:${MEMBER}:uploads`,
            Events: ['s3:ObjectCreated:*'],
          },
        ],
      },
      SkipDestinationValidation: true,
    }),
  );

  expect(await handler.enable(s3, OTHER)).toBe(true);

  // moto 5.2.1 keeps EventBridgeConfiguration (it sends the events) but leaves it out of
  // GetBucketNotificationConfiguration, so the "already on" branch cannot be seen here.
  const now = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: OTHER }));
  expect(now.QueueConfigurations?.map((q) => q.Id)).toEqual(['existing']);
});
