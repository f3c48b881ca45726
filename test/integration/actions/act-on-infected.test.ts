import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { OnInfected } from '../../../infra';
import { quarantineKey } from '../../../src/actions/quarantine';
import { loadConfig } from '../../../src/config';
import { createActOnInfectedHandler } from '../../../src/handlers/act-on-infected';
import { localS3Client } from '../../../src/local/s3-server';
import { ACT_ON_INFECTED_STATE_MACHINE, SCAN_STATE_MACHINE } from '../../../src/local/step-functions';
import { buildLambdaAv, logicalId } from '../../infra/support';
import { matchesPattern } from '../../support/event-pattern';
import {
  type DeliveredEvent,
  type LocalEventBridgeServer,
  startLocalEventBridge,
} from '../../support/eventbridge-server';
import { objectCreatedEvent } from '../../support/events';
import { DEFINITIONS_BUCKET, type Harness, startHarness, UPLOADS_BUCKET } from '../../support/harness';
import { EICAR } from '../../support/signatures';
import { functionArn, SCANNER_FUNCTION, startWorkflow, type Workflow } from '../../support/workflow';

const QUARANTINE = 'lambda-av-quarantine';
const ACTIONS_FUNCTION = 'lambda-av-actions';
const BUS = 'lambda-av-results';

// Set by setUp, which each test calls with its bucket's action; afterEach stops what it started.
let bus: LocalEventBridgeServer;
let eventBridge: EventBridgeClient;
let h: Harness;
let wf: Workflow;
const cleanups: Array<() => unknown> = [];
/** The S3 client the actions function uses; a test may swap it for a faulty one. */
let actionsS3: ReturnType<typeof localS3Client>;

async function setUp(actions: Record<string, string>, quarantineBucket = QUARANTINE) {
  bus = await startLocalEventBridge();
  cleanups.push(() => bus.stop());
  eventBridge = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'us-east-1',
    credentials: bus.credentials,
  });
  cleanups.push(() => eventBridge.destroy());
  const env = { RESULT_EVENT_BUS: BUS, INFECTED_ACTIONS: JSON.stringify(actions), MAX_FILE_SIZE: '65536' };
  h = await startHarness({ env, eventBridge });
  cleanups.push(() => h.stop());
  await h.s3.createBucket(QUARANTINE);
  actionsS3 = h.s3.client;
  const config = loadConfig({
    CLAMAV_BUCKET_NAME: DEFINITIONS_BUCKET,
    QUARANTINE_BUCKET_NAME: quarantineBucket,
    ...env,
  });
  const act = (event: unknown) => createActOnInfectedHandler({ config, s3: actionsS3 })(event);
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: h.handler, [ACTIONS_FUNCTION]: act },
    {
      s3: h.s3.client,
      eventBridge,
      substitutions: {
        ScannerFunctionArn: functionArn(SCANNER_FUNCTION),
        MaxFileSize: String(h.config.maxFileSize),
        ActionsFunctionArn: functionArn(ACTIONS_FUNCTION),
        EventBusName: BUS,
      },
      retryIntervalOverrides: { Act: 5, Report: 5, ReportFailure: 5 },
    },
  );
  cleanups.push(() => wf.stop());
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const resultOf = (key: string): DeliveredEvent => {
  const found = bus.events.find(
    (e) => e['detail-type'] === 'Scan Result' && (e.detail as { key: string }).key === key,
  );
  if (!found) throw new Error(`no result event for ${key}`);
  return found;
};
const actionEvents = () => bus.events.filter((e) => e['detail-type'] === 'Infected Object Action');

/** An upload scanned by the scan machine from its EventBridge event; its result event is what the rule hands the actions workflow. */
async function uploadAndScan(key: string, body: string | Buffer, tags: Record<string, string> = {}) {
  await h.s3.client.send(
    new PutObjectCommand({
      Bucket: UPLOADS_BUCKET,
      Key: key,
      Body: body,
      ContentType: 'application/x-msdownload',
      Metadata: { uploader: 'alice' },
    }),
  );
  if (Object.keys(tags).length > 0) {
    const TagSet = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    await h.s3.client.send(
      new PutObjectTaggingCommand({ Bucket: UPLOADS_BUCKET, Key: key, Tagging: { TagSet } }),
    );
  }
  await wf.run(SCAN_STATE_MACHINE, await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, key));
  return resultOf(key);
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function bytesOf(bucket: string, key: string): Promise<Buffer> {
  const response = await h.s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await h.s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

test('quarantine: the copy has the same bytes, tags and metadata, the original is gone, the outcome is published', async () => {
  await setUp({ [UPLOADS_BUCKET]: 'quarantine' });
  const body = `${EICAR}\n`;
  const result = await uploadAndScan('in/inv oice+1.com', body, { owner: 'team-a' });

  const run = await wf.run(ACT_ON_INFECTED_STATE_MACHINE, result);

  const key = `${UPLOADS_BUCKET}/in/inv oice+1.com`;
  expect(run).toMatchObject({
    status: 'SUCCEEDED',
    output: {
      action: 'quarantine',
      source: { bucket: UPLOADS_BUCKET, key: 'in/inv oice+1.com' },
      quarantine: { bucket: QUARANTINE, key },
      size: body.length,
      sha256: sha256(body),
    },
  });
  expect(sha256(await bytesOf(QUARANTINE, key))).toBe(sha256(body));
  const copy = await h.s3.client.send(new HeadObjectCommand({ Bucket: QUARANTINE, Key: key }));
  expect(copy).toMatchObject({ ContentType: 'application/x-msdownload', Metadata: { uploader: 'alice' } });
  const tags = await h.s3.client.send(new GetObjectTaggingCommand({ Bucket: QUARANTINE, Key: key }));
  expect(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
    owner: 'team-a',
    'av-status': 'INFECTED',
    'av-timestamp': expect.stringMatching(/^\d+$/),
  });
  expect(await exists(UPLOADS_BUCKET, 'in/inv oice+1.com')).toBe(false);
  expect(actionEvents()).toHaveLength(1);
  expect(actionEvents()[0]).toMatchObject({
    source: 'lambda-av',
    resources: [
      expect.stringMatching(/:execution:act-on-infected:/),
      expect.stringMatching(/:stateMachine:/),
    ],
    detail: {
      outcome: 'SUCCEEDED',
      action: 'quarantine',
      result: { quarantine: { bucket: QUARANTINE, key } },
      scan: { verdict: 'INFECTED', key: 'in/inv oice+1.com' },
      executionArn: expect.stringMatching(/:execution:act-on-infected:/),
    },
  });
});

test('a failed copy deletes nothing: the original keeps its bytes and tags, the failure is published, the execution fails', async () => {
  await setUp({ [UPLOADS_BUCKET]: 'quarantine' }, 'no-such-quarantine-bucket');
  const result = await uploadAndScan('keep-me.com', EICAR, { owner: 'team-a' });

  const run = await wf.run(ACT_ON_INFECTED_STATE_MACHINE, result);

  expect(run).toMatchObject({ status: 'FAILED', error: 'InfectedActionError' });
  expect(run.cause).toMatch(/could not write the quarantined copy .* the original is kept/);
  expect((await bytesOf(UPLOADS_BUCKET, 'keep-me.com')).toString()).toBe(EICAR);
  expect(await h.tags('keep-me.com')).toMatchObject({ owner: 'team-a', 'av-status': 'INFECTED' });
  expect(actionEvents().map((e) => e.detail)).toEqual([
    expect.objectContaining({ outcome: 'FAILED', action: 'quarantine', error: 'InfectedActionError' }),
  ]);
});

test('a copy that does not read back the same deletes nothing', async () => {
  await setUp({ [UPLOADS_BUCKET]: 'quarantine' });
  const result = await uploadAndScan('verify.com', EICAR);
  // A store that returns other bytes for the quarantined copy than were written.
  actionsS3 = localS3Client(h.s3);
  actionsS3.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      const input = args.input as { Bucket?: string };
      if (context.commandName === 'GetObjectCommand' && input.Bucket === QUARANTINE) {
        (output.output as { Body: unknown }).Body = Readable.from([
          Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*X'),
        ]);
      }
      return output;
    },
    { step: 'initialize', name: 'corruptQuarantine' },
  );

  const run = await wf.run(ACT_ON_INFECTED_STATE_MACHINE, result);

  expect(run.cause).toMatch(/does not match it .* the original is kept/);
  expect(run).toMatchObject({ status: 'FAILED', error: 'InfectedActionError' });
  expect(await exists(UPLOADS_BUCKET, 'verify.com')).toBe(true);
  actionsS3.destroy();
});

test('delete: the scanned object is removed and the deletion published', async () => {
  await setUp({ [UPLOADS_BUCKET]: 'delete' });
  const result = await uploadAndScan('drop.com', EICAR);

  const run = await wf.run(ACT_ON_INFECTED_STATE_MACHINE, result);

  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { action: 'delete', size: EICAR.length } });
  expect(await exists(UPLOADS_BUCKET, 'drop.com')).toBe(false);
  expect(actionEvents()[0]?.detail).toMatchObject({ outcome: 'SUCCEEDED', action: 'delete' });
});

test('the same result delivered twice: the second finds the object gone and succeeds without an alarm', async () => {
  await setUp({ [UPLOADS_BUCKET]: 'quarantine' });
  const result = await uploadAndScan('twice.com', EICAR);

  const [first, second] = [
    await wf.run(ACT_ON_INFECTED_STATE_MACHINE, result),
    await wf.run(ACT_ON_INFECTED_STATE_MACHINE, result),
  ];

  expect(first).toMatchObject({ status: 'SUCCEEDED', output: { action: 'quarantine' } });
  expect(second).toMatchObject({ status: 'SUCCEEDED', output: { action: 'quarantine', gone: true } });
  expect(await exists(QUARANTINE, `${UPLOADS_BUCKET}/twice.com`)).toBe(true);
});

test('an object no longer tagged INFECTED (scanned again since, and found clean) is left alone', async () => {
  await setUp({ [UPLOADS_BUCKET]: 'delete' });
  const result = await uploadAndScan('rescanned.com', EICAR);
  await h.s3.client.send(
    new PutObjectTaggingCommand({
      Bucket: UPLOADS_BUCKET,
      Key: 'rescanned.com',
      Tagging: { TagSet: [{ Key: 'av-status', Value: 'CLEAN' }] },
    }),
  );

  const run = await wf.run(ACT_ON_INFECTED_STATE_MACHINE, result);

  expect(run).toMatchObject({ status: 'FAILED', error: 'InfectedActionError' });
  expect(run.cause).toMatch(/is tagged av-status=CLEAN, not INFECTED: it is left as it is/);
  expect(await exists(UPLOADS_BUCKET, 'rescanned.com')).toBe(true);
});

test.each([
  [
    'a SKIPPED result',
    { status: 'SKIPPED', verdict: 'SKIPPED' },
    /only objects tagged INFECTED are acted on/,
  ],
  [
    'a PROCESSING_ERROR result',
    { status: 'PROCESSING_ERROR', verdict: 'PROCESSING_ERROR' },
    /only objects tagged INFECTED/,
  ],
  [
    'another action than the bucket’s',
    { action: 'delete' },
    /the action configured for bucket uploads is quarantine/,
  ],
])('%s is refused and nothing is touched', async (_name, change, cause) => {
  await setUp({ [UPLOADS_BUCKET]: 'quarantine' });
  const result = await uploadAndScan('forged.com', EICAR);
  const forged = { ...result, detail: { ...(result.detail as object), ...change } };

  const run = await wf.run(ACT_ON_INFECTED_STATE_MACHINE, forged);

  expect(run).toMatchObject({ status: 'FAILED', error: 'InvalidEventError' });
  expect(run.cause).toMatch(cause);
  expect(await exists(UPLOADS_BUCKET, 'forged.com')).toBe(true);
  expect(await exists(QUARANTINE, `${UPLOADS_BUCKET}/forged.com`)).toBe(false);
});

test('a key too long to prefix with its bucket is quarantined under the SHA-256 of the key', () => {
  const long = 'k'.repeat(1020);

  expect(quarantineKey({ bucket: 'uploads', key: 'a/b.pdf' })).toBe('uploads/a/b.pdf');
  expect(quarantineKey({ bucket: 'uploads', key: long })).toBe(`uploads/${sha256(long)}`);
});

describe('end to end: uploads scanned, results on the bus, the stack’s own rule starting the actions workflow', () => {
  /** The actions rule's pattern exactly as the stack synthesizes it. */
  function actionsRulePattern(): Record<string, never> {
    const built = buildLambdaAv((scope) => ({
      scanBuckets: [
        {
          bucket: s3.Bucket.fromBucketName(scope, 'Uploads', UPLOADS_BUCKET),
          onInfected: OnInfected.QUARANTINE,
        },
      ],
    }));
    const rule =
      built.template.findResources('AWS::Events::Rule')[
        logicalId(built.stack, built.av.infectedActionsWorkflow?.rule as never)
      ];
    return rule?.Properties.EventPattern;
  }

  test('only the INFECTED upload is quarantined; clean, skipped and failed ones start nothing and stay', async () => {
    await setUp({ [UPLOADS_BUCKET]: 'quarantine' });
    const pattern = actionsRulePattern();
    await h.s3.put(UPLOADS_BUCKET, 'a/clean.txt', 'fine');
    await h.s3.put(UPLOADS_BUCKET, 'a/eicar.com', EICAR);
    await h.s3.put(
      UPLOADS_BUCKET,
      'a/big.com',
      Buffer.concat([Buffer.from(EICAR), Buffer.alloc(h.config.maxFileSize)]),
    );
    for (const key of ['a/clean.txt', 'a/eicar.com', 'a/big.com']) {
      await wf.run(SCAN_STATE_MACHINE, await objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, key));
    }
    await wf.run(SCAN_STATE_MACHINE, { bucket: UPLOADS_BUCKET, key: 'a/missing.txt' });

    // EventBridge's part: each result event the rule matches starts one actions execution.
    const matched = bus.events.filter((event) => matchesPattern(pattern, event));
    const runs = [];
    for (const event of matched) runs.push(await wf.run(ACT_ON_INFECTED_STATE_MACHINE, event));

    expect(
      bus.events
        .filter((e) => e['detail-type'] === 'Scan Result')
        .map((e) => (e.detail as { verdict: string }).verdict)
        .sort(),
    ).toEqual(['CLEAN', 'INFECTED', 'PROCESSING_ERROR', 'SKIPPED']);
    expect(matched.map((e) => (e.detail as { key: string }).key)).toEqual(['a/eicar.com']);
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(await exists(UPLOADS_BUCKET, 'a/eicar.com')).toBe(false);
    expect(await exists(QUARANTINE, `${UPLOADS_BUCKET}/a/eicar.com`)).toBe(true);
    for (const key of ['a/clean.txt', 'a/big.com']) expect(await exists(UPLOADS_BUCKET, key)).toBe(true);
    expect(await h.tags('a/big.com')).toMatchObject({ 'av-status': 'SKIPPED' });
  }, 60_000);
});
