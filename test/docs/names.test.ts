import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { OnInfected, WorkflowType } from '../../infra';
import { CONTEXT_KEYS } from '../../infra/context';
import * as infraErrors from '../../infra/errors';
import type { DefinitionLike } from '../../src/asl/retry-budget';
import * as cli from '../../src/cli/usage';
import * as errors from '../../src/errors';
import { parseScanEvent, type ScanEvent } from '../../src/handlers/scan-event';
import * as metrics from '../../src/metrics';
import type { ResultEventDetail } from '../../src/results/result-event';
import type { ScanResult } from '../../src/scan/contract';
import { buildLambdaAv } from '../infra/support';
import {
  blockAfter,
  codeSpans,
  headings,
  PAGES,
  ROOT,
  read,
  section,
  tableAfter,
  withoutCodeBlocks,
} from './markdown';

// Names the docs use (states, errors, alarms, metrics, flags, context keys, fields) are the names
// the code uses: each is read from the code and compared with what the page lists.

const machine = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as DefinitionLike;

/** Every state of a definition, nested ones (Map item processors) included. */
function stateNames(definition: DefinitionLike): string[] {
  return Object.entries(definition.States).flatMap(([name, body]) => [
    name,
    ...[body.ItemProcessor, body.Iterator, ...(body.Branches ?? [])].flatMap((inner) =>
      inner ? stateNames(inner) : [],
    ),
  ]);
}

describe("the README's diagram of an upload's path", () => {
  const marker = '<!-- upload-path: statemachine/scan.asl.json -->';
  const diagram = blockAfter(read('README.md'), marker);
  const scan = machine('statemachine/scan.asl.json');
  const inMachine = diagram.slice(diagram.indexOf('subgraph'), diagram.indexOf('\n  end'));
  const edges = [...diagram.matchAll(/(\w+)(?:[[({][^\n>]*?[\])}])?\s*-->\|"([^"]*)"\|\s*(\w+)/g)].map(
    (m) => ({
      from: m[1] ?? '',
      label: m[2] ?? '',
      to: m[3] ?? '',
    }),
  );

  test('follows event -> ReadInput -> Scan -> scanner -> clamd -> tags and the result event', () => {
    expect(edges.map(({ from, to }) => `${from}->${to}`)).toEqual([
      'upload->ReadInput',
      'ReadInput->Scan',
      'Scan->scanner',
      'scanner->clamd',
      'clamd->scanner',
      'scanner->tags',
      'scanner->result',
    ]);
  });

  test('the nodes inside the state machine are states of scan.asl.json, the first its StartAt', () => {
    const inside = [...inMachine.matchAll(/\b([A-Z]\w+)\{|\b([A-Z]\w+)\[/g)].map((m) => m[1] ?? m[2]);
    expect(inside).toEqual(['ReadInput', 'Scan']);
    for (const name of inside) expect(stateNames(scan)).toContain(name);
    expect(scan.StartAt).toBe('ReadInput');
  });

  test('ReadInput sends an EventBridge event (one with detail) straight to Scan, which invokes the scanner', () => {
    const choices = scan.States.ReadInput?.Choices as Array<{
      Variable: string;
      IsPresent?: boolean;
      Next: string;
    }>;
    expect(choices).toContainEqual({ Variable: '$.detail', IsPresent: true, Next: 'Scan' });
    expect(scan.States.Scan?.Resource).toBe('arn:${Partition}:states:::lambda:invoke');
    expect(JSON.stringify(scan.States.Scan?.Parameters)).toContain('${ScannerFunctionArn}');
  });
});

describe.each([
  ['docs/workflows.md', 'statemachine/scan.asl.json'],
  ['docs/bulk-scans.md', 'statemachine/bulk-scan.asl.json'],
])('the diagram in %s', (page, file) => {
  // Words in the diagram written like state names that are not states of the machine.
  const NOT_STATES = new Set([
    'EventBridge',
    'MaxFileSize',
    'ItemReader',
    'ItemBatcher',
    'ResultWriter',
    'BatchInput',
  ]);

  test(`names only states of ${file}`, () => {
    const diagram = blockAfter(read(page), `<!-- states: ${file} -->`);
    const names = [...new Set(diagram.match(/\b[A-Z][a-z]+(?:[A-Z][a-z]+)*\b/g) ?? [])].filter(
      (word) => /[a-z][A-Z]/.test(word) || stateNames(machine(file)).includes(word),
    );
    expect(names.length).toBeGreaterThan(3);
    expect(
      names.filter((name) => !NOT_STATES.has(name) && !stateNames(machine(file)).includes(name)),
    ).toEqual([]);
  });
});

describe('error names', () => {
  const named = Object.entries(errors)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof errors.NamedError)
    .map(([name]) => name);
  // Not errors of a function's contract: the command's usage errors, the local stand-ins' replies,
  // and the local stack's refusals to start (a port or a data directory in use).
  const internal = new Set(['UsageError', 'LocalServiceError', 'PortInUseError', 'DataDirInUseError']);

  test('every error a function throws or returns is in docs/lambda-contract.md', () => {
    const contract = read('docs/lambda-contract.md');
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((name) => !internal.has(name) && !contract.includes(`\`${name}\``))).toEqual([]);
  });

  test('every ...Error the docs name in code is a class of src/errors.ts', () => {
    const mentioned = PAGES.flatMap((page) =>
      codeSpans(read(page)).filter((span) => /^[A-Z]\w*Error$/.test(span)),
    );
    // The construct's synth errors (infra/errors.ts), and states whose names end in Error.
    const construct = Object.keys(infraErrors);
    const states = ['scan', 'scan-express', 'bulk-scan', 'update-definitions', 'act-on-infected'].flatMap(
      (name) => stateNames(machine(`statemachine/${name}.asl.json`)),
    );
    const known = new Set([...named, ...construct, ...states]);
    expect([...new Set(mentioned)].filter((name) => !known.has(name))).toEqual([]);
  });
});

describe('alarms and the runbook', () => {
  const alarmIds = (props: Parameters<typeof buildLambdaAv>[0]) =>
    buildLambdaAv(props)
      .av.node.findAll()
      .filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm)
      .map((alarm) => alarm.node.id.replace(/-.*$/, '-<bucket>'));
  const everything = (workflowType: WorkflowType) =>
    alarmIds((stack) => ({
      workflowType,
      unscannableAlarmThreshold: 1,
      scanBuckets: [{ bucket: new s3.Bucket(stack, 'Uploads'), onInfected: OnInfected.QUARANTINE }],
    }));
  const ids = [
    ...new Set([...everything(WorkflowType.STANDARD), ...everything(WorkflowType.EXPRESS)]),
  ].sort();
  const runbook = read('docs/runbook.md');
  const sections = headings(section(runbook, 'Alarms')).flatMap((h) => codeSpans(h));

  test('every alarm the construct can create has its section in docs/runbook.md', () => {
    expect(ids.length).toBeGreaterThanOrEqual(18);
    expect(ids.filter((id) => !sections.includes(id))).toEqual([]);
  });

  test('every alarm a section or a page names is one the construct creates', () => {
    const named = PAGES.flatMap((page) =>
      codeSpans(read(page)).filter((span) => /^[A-Z]\w+Alarm(-<bucket>)?$/.test(span)),
    );
    expect([...new Set([...sections, ...named])].filter((name) => !ids.includes(name))).toEqual([]);
  });
});

test("the runbook's metrics table lists exactly the metrics of src/metrics.ts", () => {
  const emitted = Object.entries(metrics)
    .filter(([name]) => name.startsWith('METRIC_'))
    .map(([, value]) => value as string)
    .sort();
  const listed = tableAfter(read('docs/runbook.md'), '## Metrics')
    .flatMap((row) => codeSpans(row[0] ?? ''))
    .sort();
  expect(listed).toEqual(emitted);
});

describe('the command line', () => {
  const help = Object.entries(cli)
    .filter(([name]) => name.endsWith('_HELP'))
    .map(([, text]) => text as string)
    .join('\n');
  // Option lines are indented two spaces; deeper lines continue an example (the AWS CLI's own flags).
  const options = [...new Set([...help.matchAll(/^ {2}(?:-h, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1] ?? ''))];
  const page = read('docs/cli.md');
  const documented = new Set([
    ...codeSpans(withoutCodeBlocks(page)).flatMap((span) => span.match(/--[a-z][a-z-]*/g) ?? []),
    ...page
      .split('\n')
      .filter((line) => line.includes('lambda-av '))
      .flatMap((line) => line.match(/--[a-z][a-z-]*/g) ?? []),
  ]);

  test("every option of the command's help is in docs/cli.md", () => {
    expect(options.length).toBeGreaterThan(20);
    expect(options.filter((option) => !documented.has(option))).toEqual([]);
  });

  test('every option docs/cli.md gives the command is one its help lists', () => {
    expect([...documented].filter((option) => !options.includes(option))).toEqual([]);
  });

  test('every command of the help has its line in docs/cli.md', () => {
    const commands = [...cli.MAIN_HELP.matchAll(/^ {2}lambda-av ([a-z-]+)/gm)].map((m) => m[1] ?? '');
    for (const command of new Set(commands)) expect(page).toContain(`npx lambda-av ${command}`);
  });

  test("a default docs/cli.md gives an option (`--flag N`, default X) is the help's", () => {
    const claims = [...page.matchAll(/`(--[a-z-]+)[^`]*`,? default (\w+)/g)];
    expect(claims.length).toBeGreaterThan(0);
    for (const [, flag = '', value = ''] of claims) {
      const line = help.split('\n').find((l) => l.trimStart().startsWith(flag));
      expect({ flag, line: line?.includes(`default ${value}`) }).toEqual({ flag, line: true });
    }
  });
});

test("docs/deploy.md's table of context keys lists exactly the keys the app reads", () => {
  const keys = tableAfter(read('docs/deploy.md'), '### Context keys').flatMap((row) =>
    codeSpans(row[0] ?? ''),
  );
  expect([...keys].sort()).toEqual([...CONTEXT_KEYS].sort());
});

describe('fields', () => {
  // Every field, typed: adding one to the interface without a value here does not compile.
  const result: Required<ScanResult> = {
    status: 'CLEAN',
    account: '111111111111',
    bucket: 'b',
    key: 'k',
    versionId: 'v',
    size: 1,
    signature: 's',
    definitions: 'd',
    timestamp: 1,
    durationMs: 1,
    error: 'e',
    reason: 'r',
    unscannable: true,
    limit: 'l',
  };
  const detail: Required<ResultEventDetail> = {
    schemaVersion: 1,
    account: '111111111111',
    bucket: 'b',
    key: 'k',
    versionId: 'v',
    verdict: 'CLEAN',
    status: 'CLEAN',
    signature: 's',
    unscannable: true,
    reason: 'r',
    limit: 'l',
    error: 'e',
    definitions: 'd',
    scannedAt: 't',
    durationMs: 1,
    size: 1,
    executionArn: 'a',
    action: 'quarantine',
  };
  const contract = read('docs/lambda-contract.md');
  const firstColumn = (marker: string) =>
    [...new Set(tableAfter(contract, marker).flatMap((row) => codeSpans(row[0] ?? '')))].sort();

  test("the result's table lists every field of ScanResult", () => {
    expect(firstColumn('### The result\n\n```json')).toEqual(Object.keys(result).sort());
  });

  test("the Scan Result event's table lists every field of its detail", () => {
    expect(firstColumn('## Result events')).toEqual(Object.keys(detail).sort());
  });
});

describe('the events the scanner accepts', () => {
  const rows = tableAfter(read('docs/lambda-contract.md'), '### Events it accepts');
  // Every kind of invocation, with the row that documents it: a new kind does not compile here.
  const ROW_OF: Record<ScanEvent['kind'], string> = {
    direct: 'direct request',
    's3-notification': 'S3 event notification',
    eventbridge: 'EventBridge "Object Created"',
    warmer: 'warmer',
    tag: 'tag request',
    batch: 'bulk scan batch',
    'bulk-plan': 'bulk scan plan, report',
    'bulk-report': 'bulk scan plan, report',
  };

  test('every kind of invocation has its row', () => {
    const labels = rows.map((row) => row[0] ?? '');
    for (const label of Object.values(ROW_OF)) expect(labels.some((l) => l.startsWith(label))).toBe(true);
  });

  test('every example written as JSON is accepted, as the kind its row names', () => {
    const parsed = rows.flatMap(([label = '', example = '']) => {
      const json = codeSpans(example)[0];
      try {
        return json ? [{ label, event: JSON.parse(json) as unknown }] : [];
      } catch {
        return []; // an abbreviated shape such as {"Items": [{"Key", "Size", ...}]}
      }
    });
    expect(parsed.length).toBeGreaterThanOrEqual(6);
    for (const { label, event } of parsed) {
      const kind = parseScanEvent(event).kind;
      expect({ label, kind: label.startsWith(ROW_OF[kind]) || label === 'from a scan execution' }).toEqual({
        label,
        kind: true,
      });
    }
  });
});
