import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { readAppSettings } from '../../infra/context';
import { allowedActions, buildLambdaAv, buildLambdaAvStack, logicalId, statementsOfRole } from './support';

const limits = (built: ReturnType<typeof buildLambdaAv>) =>
  built.template.findResources('AWS::StepFunctions::StateMachine')[
    logicalId(built.stack, built.av.bulkScan.stateMachine)
  ]?.Properties.DefinitionSubstitutions as Record<string, unknown>;

describe('the concurrency cap leaves upload scans their instances', () => {
  test('without reserved concurrency: 2 batches at once, from the account pool a new account may have only 10 of', () => {
    expect(limits(buildLambdaAv())).toMatchObject({ BulkMaxConcurrency: '2', BulkBatchSize: '100' });
  });

  test('the account pool is only the default: bulkScan.maxConcurrency raises it', () => {
    expect(limits(buildLambdaAv(() => ({ bulkScan: { maxConcurrency: 40 } })))).toMatchObject({
      BulkMaxConcurrency: '40',
    });
  });

  test('with reserved concurrency: half of it by default', () => {
    expect(limits(buildLambdaAv(() => ({ reservedConcurrency: 20 })))).toMatchObject({
      BulkMaxConcurrency: '10',
    });
  });

  test('with provisioned concurrency: never more than reserved less the provisioned instances', () => {
    expect(
      limits(buildLambdaAv(() => ({ reservedConcurrency: 4, provisionedConcurrency: 3 }))),
    ).toMatchObject({
      BulkMaxConcurrency: '1',
    });
    expect(() =>
      buildLambdaAv(() => ({
        reservedConcurrency: 10,
        provisionedConcurrency: 4,
        bulkScan: { maxConcurrency: 7 },
      })),
    ).toThrow('bulkScan.maxConcurrency (7) must leave upload scans 4 of reservedConcurrency (10): at most 6');
  });

  test('a reserved concurrency of 1 leaves bulk scans nothing: refused at synth', () => {
    expect(() => buildLambdaAv(() => ({ reservedConcurrency: 1 }))).toThrow(
      'reservedConcurrency (1) leaves bulk scans no instance once upload scans have their 1: raise it',
    );
  });

  test('the batch size is checked against what a batch output can hold', () => {
    expect(() => buildLambdaAv(() => ({ bulkScan: { batchSize: 501 } }))).toThrow('bulkScan.batchSize');
  });
});

describe('rescans after new definitions', () => {
  const built = buildLambdaAv((stack) => {
    const uploads = s3.Bucket.fromBucketName(stack, 'Uploads', 'uploads');
    return {
      scanBuckets: [{ bucket: uploads }],
      bulkScan: {
        rescanAfterUpdate: { targets: [{ bucket: uploads, prefix: 'incoming/' }], window: Duration.days(30) },
      },
    };
  });

  test('the updater is told the targets and the window', () => {
    const updater = built.template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'index.updateDefinitionsHandler' },
    });
    const env = Object.values(updater)[0]?.Properties.Environment.Variables;

    expect(JSON.parse(env.BULK_RESCAN_TARGETS)).toEqual([
      { bucket: 'uploads', prefix: 'incoming/', window: 'P30D' },
    ]);
  });

  test('the update machine may start the bulk scan machine, and only start it', () => {
    const statements = statementsOfRole(built.template, built.stack, built.av.updateStateMachine.role);

    expect(allowedActions(statements, logicalId(built.stack, built.av.bulkScan.stateMachine))).toEqual([
      'states:StartExecution',
    ]);
  });

  test('without targets the update machine may not start bulk scans', () => {
    const plain = buildLambdaAv();
    const statements = statementsOfRole(plain.template, plain.stack, plain.av.updateStateMachine.role);

    expect(allowedActions(statements, logicalId(plain.stack, plain.av.bulkScan.stateMachine))).toEqual([]);
  });

  test('a target outside scanBuckets is refused: the scanner may not read or tag it', () => {
    expect(() =>
      buildLambdaAv((stack) => ({
        bulkScan: {
          rescanAfterUpdate: { targets: [{ bucket: s3.Bucket.fromBucketName(stack, 'X', 'elsewhere') }] },
        },
      })),
    ).toThrow('bulkScan.rescanAfterUpdate.targets[0].bucket "elsewhere" must be one of scanBuckets');
  });
});

test('context: bulk limits and rescan targets (bucket or bucket/prefix) reach the stack, which outputs the machine and the report bucket', () => {
  const settings = readAppSettings(
    (key) =>
      ({
        scanBuckets: 'uploads',
        bulkMaxConcurrency: '5',
        bulkBatchSize: '50',
        rescanTargets: 'uploads/incoming/',
        rescanWindowDays: '7',
      })[key],
  );
  expect(settings.stackProps).toMatchObject({
    lambdaAv: { bulkScan: { maxConcurrency: 5, batchSize: 50 } },
    rescanTargets: [{ bucketName: 'uploads', prefix: 'incoming/' }],
    rescanWindow: Duration.days(7),
  });

  const { template } = buildLambdaAvStack(settings.stackProps);

  expect(Object.keys(template.findOutputs('*'))).toEqual(
    expect.arrayContaining(['BulkScanStateMachineArn', 'BulkScanReportBucketName']),
  );
  const updater = template.findResources('AWS::Lambda::Function', {
    Properties: { Handler: 'index.updateDefinitionsHandler' },
  });
  expect(JSON.parse(Object.values(updater)[0]?.Properties.Environment.Variables.BULK_RESCAN_TARGETS)).toEqual(
    [{ bucket: 'uploads', prefix: 'incoming/', window: 'P7D' }],
  );
});
