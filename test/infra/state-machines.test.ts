import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { OnInfected, WorkflowType } from '../../infra';
import { aslDefinition, SCAN_DEFINITION_FILE, STATE_MACHINE_DIR } from '../../infra/asl-definition';
import { allowedActions, buildLambdaAv, logicalId, statementsOfRole } from './support';

/** The placeholders as the files spell them, read here independently of infra/asl-definition.ts. */
function placeholdersIn(file: string): string[] {
  const text = readFileSync(path.join(STATE_MACHINE_DIR, file), 'utf8');
  return [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] as string))].sort();
}

const { stack, av, template } = buildLambdaAv((scope) => ({
  scanBuckets: [{ bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads') }],
}));
const machines = template.findResources('AWS::StepFunctions::StateMachine');
const scanId = logicalId(stack, av.scanStateMachine);
const updateId = logicalId(stack, av.updateStateMachine);
const bulkId = logicalId(stack, av.bulkScan.stateMachine);
const express = buildLambdaAv(() => ({ workflowType: WorkflowType.EXPRESS }));
const acting = buildLambdaAv((scope) => ({
  scanBuckets: [
    { bucket: s3.Bucket.fromBucketName(scope, 'Uploads', 'uploads'), onInfected: OnInfected.QUARANTINE },
  ],
}));
/**
 * Each ASL file's state machine as deployed: the Express scan machine and the actions workflow
 * come from stacks that ask for them.
 */
const deployedFrom: Record<string, (typeof machines)[string] | undefined> = {
  'scan.asl.json': machines[scanId],
  'scan-express.asl.json': express.template.findResources('AWS::StepFunctions::StateMachine')[
    logicalId(express.stack, express.av.scanStateMachine)
  ],
  'update-definitions.asl.json': machines[updateId],
  'act-on-infected.asl.json': acting.template.findResources('AWS::StepFunctions::StateMachine')[
    logicalId(acting.stack, acting.av.infectedActionsWorkflow?.stateMachine as never)
  ],
  'bulk-scan.asl.json': machines[bulkId],
};

test('there is a state machine for each ASL file', () => {
  const files = readdirSync(STATE_MACHINE_DIR).filter((name) => name.endsWith('.asl.json'));

  expect(files.sort()).toEqual(Object.keys(deployedFrom).sort());
  expect(Object.keys(machines).sort()).toEqual([scanId, updateId, bulkId].sort());
});

test.each(Object.keys(deployedFrom))(
  'every placeholder in %s has a substitution and every substitution is used',
  (file) => {
    const machine = deployedFrom[file];

    expect(placeholdersIn(file).length).toBeGreaterThan(0);
    expect(Object.keys(machine?.Properties.DefinitionSubstitutions ?? {}).sort()).toEqual(
      placeholdersIn(file),
    );
  },
);

test.each(Object.keys(deployedFrom))('%s is deployed from the file as an asset, not inlined', (file) => {
  const machine = deployedFrom[file];

  expect(machine?.Properties.DefinitionS3Location).toEqual({
    Bucket: expect.anything(),
    Key: expect.any(String),
  });
  expect(machine?.Properties.DefinitionString).toBeUndefined();
});

/** An environment-agnostic stack's partition: known only at deployment. */
const PARTITION = { Ref: 'AWS::Partition' };

test('the scan machine calls the scanner and checks sizes against the same MAX_FILE_SIZE as the scanner', () => {
  expect(machines[scanId]?.Properties.DefinitionSubstitutions).toEqual({
    Partition: PARTITION,
    ScannerFunctionArn: { 'Fn::GetAtt': [logicalId(stack, av.scanner), 'Arn'] },
    MaxFileSize: '314572800',
  });
});

test('the update machine calls the updater and starts the scan machine for its canary', () => {
  expect(machines[updateId]?.Properties.DefinitionSubstitutions).toEqual({
    Partition: PARTITION,
    UpdaterFunctionArn: { 'Fn::GetAtt': [logicalId(stack, av.updater), 'Arn'] },
    ScanStateMachineArn: { Ref: scanId },
    CanaryScanResource: {
      'Fn::Join': ['', ['arn:', PARTITION, ':states:::states:startExecution.sync:2']],
    },
    BulkScanStateMachineArn: { Ref: bulkId },
  });
});

test('the update machine may start and follow scan executions (.sync:2), nothing more', () => {
  const statements = statementsOfRole(template, stack, av.updateStateMachine.role);

  expect(allowedActions(statements, scanId)).toEqual([
    'states:DescribeExecution',
    'states:StartExecution',
    'states:StopExecution',
  ]);
  expect(JSON.stringify(statements.filter((s) => s.Action.includes('states:DescribeExecution')))).toMatch(
    /:execution:","?\{?.*ScanStateMachine.*:\*"/,
  );
  expect(allowedActions(statements, 'rule/StepFunctionsGetEventsForStepFunctionsExecutionRule')).toEqual([
    'events:DescribeRule',
    'events:PutRule',
    'events:PutTargets',
  ]);
});

test.each([
  ['scan', 'ERROR'],
  ['update', 'ALL'],
])(
  'the %s machine is Standard, logs %s events with their data to CloudWatch Logs and is traced by X-Ray',
  (name, level) => {
    const machine = machines[name === 'scan' ? scanId : updateId];

    // The scan machine's history is in Step Functions; every event in the log too would double
    // the log bytes of each scan for nothing the console or `lambda-av history` reads.
    expect(machine?.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: level,
        IncludeExecutionData: true,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
        ],
      },
      TracingConfiguration: { Enabled: true },
    });
  },
);

test('the scan machine may invoke exactly the scanner, head objects of the scanned buckets and list them', () => {
  const statements = statementsOfRole(template, stack, av.scanStateMachine.role);

  expect(statements).toContainEqual(
    expect.objectContaining({
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: [{ 'Fn::GetAtt': [logicalId(stack, av.scanner), 'Arn'] }],
    }),
  );
  expect(allowedActions(statements, ':s3:::uploads/*')).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
  // ListBucket: without it S3 answers HeadObject on a missing key with 403, not 404.
  expect(allowedActions(statements, ':s3:::uploads"')).toEqual(['s3:ListBucket']);
  expect(allowedActions(statements).filter((a) => a.startsWith('lambda:') || a.startsWith('s3:'))).toEqual([
    'lambda:InvokeFunction',
    's3:GetObject',
    's3:GetObjectVersion',
    's3:ListBucket',
  ]);
});

test('the update machine may invoke exactly the updater and touches no bucket', () => {
  const statements = statementsOfRole(template, stack, av.updateStateMachine.role);

  expect(statements).toContainEqual(
    expect.objectContaining({
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: [{ 'Fn::GetAtt': [logicalId(stack, av.updater), 'Arn'] }],
    }),
  );
  expect(allowedActions(statements).filter((a) => a.startsWith('s3:'))).toEqual([]);
});

test('a definition with a placeholder left without a substitution fails the synth, naming it', () => {
  expect(() => aslDefinition(stack, SCAN_DEFINITION_FILE, { ScannerFunctionArn: 'arn' })).toThrow(
    /placeholders without a substitution: \[MaxFileSize\]/,
  );
});

test('a substitution matching no placeholder fails the synth, naming it', () => {
  expect(() =>
    aslDefinition(stack, SCAN_DEFINITION_FILE, { ScannerFunctionArn: 'arn', MaxFileSize: '1', Typo: 'x' }),
  ).toThrow(/substitutions matching no placeholder: \[Typo\]/);
});

/** A template value with the stack's ID given: Ref AWS::StackId, Fn::Split, Fn::Select, Fn::Join. */
function withStackId(value: unknown, stackId: string): unknown {
  if (typeof value === 'string' || typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown[]>;
  if ((value as { Ref?: string }).Ref === 'AWS::StackId') return stackId;
  if (v['Fn::Split']) return String(withStackId(v['Fn::Split'][1], stackId)).split(String(v['Fn::Split'][0]));
  if (v['Fn::Select'])
    return (withStackId(v['Fn::Select'][1], stackId) as unknown[])[Number(v['Fn::Select'][0])];
  if (v['Fn::Join'])
    return (v['Fn::Join'][1] as unknown[]).map((p) => withStackId(p, stackId)).join(String(v['Fn::Join'][0]));
  throw new Error(`unresolved ${JSON.stringify(value)}`);
}

describe('the state machine log groups', () => {
  const stackId = (uuid: string) => `arn:aws:cloudformation:eu-west-1:123456789012:stack/Test/${uuid}`;
  const FIRST = stackId('51af3dc0-da77-11e4-872e-1234567db123');
  const AGAIN = stackId('0e7a9c40-1f2b-11f0-9a3c-0a1b2c3d4e5f');
  const groups = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([, group]) =>
    JSON.stringify(group.Properties.LogGroupName ?? '').includes('/aws/vendedlogs/states/'),
  );
  const names = (id: string) =>
    groups.map(([, group]) => withStackId(group.Properties.LogGroupName, id) as string);

  test('are one per state machine, under /aws/vendedlogs/states/, named by this construct and the stack’s creation', () => {
    expect(names(FIRST).sort()).toEqual([
      expect.stringMatching(/^\/aws\/vendedlogs\/states\/[\w-]+-ScanStateMachineLogs-1234567db123$/),
      expect.stringMatching(/^\/aws\/vendedlogs\/states\/[\w-]+-UpdateStateMachineLogs-1234567db123$/),
      expect.stringMatching(
        /^\/aws\/vendedlogs\/states\/[\w-]+-BulkScan-[\w-]+-BulkScanStateMachineLogs-1234567db123$/,
      ),
    ]);
    for (const machine of Object.values(template.findResources('AWS::StepFunctions::StateMachine'))) {
      const destination =
        machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn;
      expect(JSON.stringify(destination)).toMatch(/StateMachineLogs/);
    }
  });

  test('are retained by default, and a stack created again after cdk destroy names new ones: no "already exists"', () => {
    for (const [, group] of groups) expect(group).toMatchObject({ DeletionPolicy: 'Retain' });
    const again = names(AGAIN);

    expect(again.filter((name) => names(FIRST).includes(name))).toEqual([]);
    // An update of the same stack keeps its names (the stack's ID does not change).
    expect(names(FIRST)).toEqual(names(FIRST));
  });
});

test('the bulk scan machine (Standard) invokes the scanner function itself, not its alias, with the deployment limits', () => {
  expect(machines[bulkId]?.Properties).toMatchObject({
    StateMachineType: 'STANDARD',
    DefinitionSubstitutions: {
      ScannerFunctionArn: { 'Fn::GetAtt': [logicalId(stack, av.scanner), 'Arn'] },
      BulkMaxConcurrency: '2',
      BulkBatchSize: '100',
      ReportBucket: { Ref: logicalId(stack, av.bulkScan.reportBucket) },
    },
  });
});

test('the bulk scan machine may list the scanned buckets, start its own child executions and write its reports, nothing more', () => {
  const statements = statementsOfRole(template, stack, av.bulkScan.stateMachine.role);
  const policy =
    template.findResources('AWS::IAM::Policy')[
      logicalId(stack, av.bulkScan.node.findChild('DistributedMapPolicy') as never)
    ];
  const list = statements.filter((s) => s.Action.includes('s3:ListBucket'));

  expect(list.map((s) => JSON.stringify(s.Resource))).toEqual([expect.stringContaining(':s3:::uploads')]);
  expect(allowedActions(statements, logicalId(stack, av.scanner))).toEqual(['lambda:InvokeFunction']);
  expect(JSON.stringify(policy?.Properties.PolicyDocument.Statement)).toContain('states:StartExecution');
  expect(
    statements
      .flatMap((s) => s.Action)
      .filter((a) => a.startsWith('s3:'))
      .sort(),
  ).toEqual([
    's3:AbortMultipartUpload',
    's3:GetObject',
    's3:ListBucket',
    's3:ListMultipartUploadParts',
    's3:PutObject',
  ]);
});
