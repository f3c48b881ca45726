import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { STATE_MACHINE_DIR } from '../../src/asl/files';
import { placeholdersOf, substitute } from '../../src/asl/placeholders';

// asl-validator ships no type declarations.
const validate = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errors: Array<{ message: string; path?: string }> };

const files = readdirSync(STATE_MACHINE_DIR).filter((name) => name.endsWith('.asl.json'));
const sample = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;
const SAMPLE_VALUES: Record<string, string> = {
  Partition: 'aws',
  MaxFileSize: '314572800',
  MaxReceiveCount: '6',
  CanaryScanResource: 'arn:aws:states:::states:startExecution.sync:2',
  ScanStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:scan',
  BulkScanStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:bulk-scan',
  BulkMaxConcurrency: '10',
  BulkBatchSize: '100',
  ReportBucket: 'reports',
};
/** Distributed Map (ItemReader, ItemBatcher, ResultWriter) runs locally through src/local/distributed-map.ts. */
const DISTRIBUTED = new Set(['bulk-scan.asl.json']);

test('the state machines are there', () => {
  expect(files.sort()).toEqual([
    'act-on-infected.asl.json',
    'bulk-scan.asl.json',
    'scan-express.asl.json',
    'scan.asl.json',
    'update-definitions.asl.json',
  ]);
});

test.each(files)('%s is valid ASL once its placeholders are substituted', (file) => {
  const text = readFileSync(path.join(STATE_MACHINE_DIR, file), 'utf8');
  const values = Object.fromEntries(
    placeholdersOf(text).map((name) => [name, SAMPLE_VALUES[name] ?? sample(name)]),
  );

  const result = validate(JSON.parse(substitute(text, values)), { checkPaths: true, checkArn: true });

  expect(result.errors).toEqual([]);
  expect(result.isValid).toBe(true);
});

/** What infra/ substitutes in aws-cn: the partition, and the canary's integration built with it. */
const CHINA: Record<string, string> = {
  Partition: 'aws-cn',
  CanaryScanResource: 'arn:aws-cn:states:::states:startExecution.sync:2',
};

test.each(files)(
  "%s names its integrations in the deployment's partition, never the aws one alone",
  (file) => {
    const text = readFileSync(path.join(STATE_MACHINE_DIR, file), 'utf8');
    const values = Object.fromEntries(
      placeholdersOf(text).map((name) => [name, CHINA[name] ?? SAMPLE_VALUES[name] ?? sample(name)]),
    );
    const china = JSON.parse(substitute(text, values));

    expect(placeholdersOf(text)).toContain('Partition');
    expect(JSON.stringify(china)).toMatch(/"arn:aws-cn:states:::/);
    expect(JSON.stringify(china)).not.toMatch(/"arn:aws:states:::/);
    expect(validate(china, { checkPaths: true, checkArn: true }).errors).toEqual([]);
  },
);

test.each(files)('%s uses JSONPath only, which AWS and the local runner execute alike', (file) => {
  const definition = JSON.parse(readFileSync(path.join(STATE_MACHINE_DIR, file), 'utf8'));
  const text = JSON.stringify(definition);

  expect(definition.QueryLanguage).toBe('JSONPath');
  expect(text).not.toMatch(/JSONata|"Assign"|"Arguments"|"Output"/);
  if (!DISTRIBUTED.has(file)) expect(text).not.toMatch(/ItemReader/);
});

test.each(files)(
  'every Task in %s has an explicit timeout (the default is a year on AWS, 60 s locally)',
  (file) => {
    const { States } = JSON.parse(readFileSync(path.join(STATE_MACHINE_DIR, file), 'utf8')) as {
      States: Record<string, { Type: string; TimeoutSeconds?: number }>;
    };

    for (const [name, state] of Object.entries(States)) {
      if (state.Type === 'Task')
        expect({ name, timeout: state.TimeoutSeconds }).toEqual({ name, timeout: expect.any(Number) });
    }
  },
);

test('a missing substitution is refused rather than deployed', () => {
  expect(() =>
    substitute('{"a": "${ScannerFunctionArn}", "b": "${Other}"}', { ScannerFunctionArn: 'x' }),
  ).toThrow('no substitution for ${Other}');
});

test.each([
  ['scan.asl.json', 'Scan'],
  ['update-definitions.asl.json', 'UpdateDefinitions'],
])(
  "%s: the %s task outwaits any Lambda timeout (15 minutes), so the function's own timeout ends an attempt",
  (file, state) => {
    const { States } = JSON.parse(readFileSync(path.join(STATE_MACHINE_DIR, file), 'utf8')) as {
      States: Record<string, { TimeoutSeconds?: number }>;
    };

    expect(States[state]?.TimeoutSeconds).toBeGreaterThan(900);
  },
);

test.each(files)('every Task in %s that can fail has a Catch, or says in its Comment why not', (file) => {
  const { States } = JSON.parse(readFileSync(path.join(STATE_MACHINE_DIR, file), 'utf8')) as {
    States: Record<string, { Type: string; Catch?: unknown[]; Comment?: string }>;
  };

  for (const [name, state] of Object.entries(States)) {
    if (state.Type !== 'Task') continue;
    const handled = (state.Catch?.length ?? 0) > 0 || /No Catch: .{40,}/.test(state.Comment ?? '');
    expect({ name, handled }).toEqual({ name, handled: true });
  }
});

test('bulk-scan.asl.json: its two Distributed Maps differ only in where the items come from', () => {
  const { States } = JSON.parse(readFileSync(path.join(STATE_MACHINE_DIR, 'bulk-scan.asl.json'), 'utf8')) as {
    States: Record<string, Record<string, unknown>>;
  };
  const { ItemReader: listing, Comment: _, Label: __, ...rest } = States.ScanListing ?? {};
  const { ItemReader: inventory, Comment: ___, Label: ____, ...same } = States.ScanInventory ?? {};

  // State names are unique in a whole state machine: the inventory's have a prefix.
  expect(
    JSON.parse(JSON.stringify(same).replace(/"Inventory(ScanBatch|MoreInBatch|BatchScanned)"/g, '"$1"')),
  ).toEqual(rest);
  expect(listing).toMatchObject({ Resource: 'arn:${Partition}:states:::s3:listObjectsV2' });
  expect(inventory).toMatchObject({
    Resource: 'arn:${Partition}:states:::s3:getObject',
    ReaderConfig: { InputType: 'MANIFEST' },
  });
  expect(rest).toMatchObject({
    ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
  });
});

test('bulk-scan.asl.json: a batch invocation outwaits any Lambda timeout, so the function ends an attempt', () => {
  const { States } = JSON.parse(readFileSync(path.join(STATE_MACHINE_DIR, 'bulk-scan.asl.json'), 'utf8')) as {
    States: Record<string, { ItemProcessor?: { States: Record<string, { TimeoutSeconds?: number }> } }>;
  };

  expect(States.ScanListing?.ItemProcessor?.States.ScanBatch?.TimeoutSeconds).toBeGreaterThan(900);
});
