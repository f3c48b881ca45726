import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { WorkflowType } from '../../infra';
import { withMargin } from '../../infra/budgets';
import { scannerStorage } from '../../infra/ephemeral-storage';
import {
  BULK_SCAN_STATE_MACHINE,
  SCAN_EXPRESS_STATE_MACHINE,
  SCAN_STATE_MACHINE,
  UPDATE_STATE_MACHINE,
} from '../../src/asl/files';
import {
  attemptsForBudget,
  DEFAULT_RETRY_BUDGET_SECONDS,
  type DefinitionLike,
  isBudgeted,
  maximumWaits,
  type Retrier,
} from '../../src/asl/retry-budget';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_SCAN_CONCURRENCY,
  DEFAULT_TOLERATED_FAILURE_PERCENTAGE,
  MAX_BATCH_SIZE,
} from '../../src/bulk/request';
import { defaultMaxScanSize, renderClamdConf } from '../../src/clamd/clamd-conf';
import { DEFAULT_BUDGETS_MS, DEFAULT_MAX_FILE_SIZE, SETTINGS, type Setting } from '../../src/settings';
import { buildLambdaAv } from '../infra/support';
import { PAGES, read, tableAfter } from './markdown';

// Figures the docs state, read from where they are decided (the ASL files, the registry, the
// synthesized template) and looked for, as the docs word them, on the page that states them.
// A figure that changes in the code fails here until the docs say the new one.

const asl = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as DefinitionLike;
const state = (file: string, name: string) => {
  const found = asl(file).States[name];
  if (!found) throw new Error(`no state ${name} in ${file}`);
  return found;
};
const minutes = (seconds: number) => `${seconds / 60} minutes`;

describe('the retry budget of the scan state machine', () => {
  const scan = state(SCAN_STATE_MACHINE, 'Scan');
  const budgeted = (scan.Retry ?? []).find(isBudgeted) as Retrier;
  const attempts = attemptsForBudget(budgeted, DEFAULT_RETRY_BUDGET_SECONDS);

  test('the file holds the attempts the default budget gives (the construct rewrites them for another)', () => {
    expect(budgeted.MaxAttempts).toBe(attempts);
  });

  test('docs/workflows.md states its waits, the default budget and the attempts it gives', () => {
    const [first, second, third] = maximumWaits(budgeted, 3);
    expect(read('docs/workflows.md')).toContain(
      `wait drawn between zero and ${first}, ${second}, ${third}, ... seconds, at most ${budgetedCap(budgeted)} s, for \`retryBudget\` (${minutes(DEFAULT_RETRY_BUDGET_SECONDS)} by\ndefault: ${attempts} attempts, which last ${minutes(DEFAULT_RETRY_BUDGET_SECONDS)} on average and at most an hour;`,
    );
  });

  test('what the budget waits out is what the retrier lists', () => {
    expect(budgeted.ErrorEquals).toEqual(
      expect.arrayContaining([
        'Lambda.TooManyRequestsException',
        'DaemonStartupError',
        'DefinitionsNotPublishedError',
      ]),
    );
    // The README's figure, and the failure table's.
    expect(read('README.md')).toContain(
      `retried for the retry budget (${DEFAULT_RETRY_BUDGET_SECONDS / 60}\nminutes by default)`,
    );
    expect(read('docs/workflows.md')).toContain(
      `for the retry budget (${minutes(DEFAULT_RETRY_BUDGET_SECONDS)} by default), then tags PROCESSING_ERROR`,
    );
  });

  test('the context key and the props reference give the same default budget', () => {
    const row = tableAfter(read('docs/deploy.md'), '### Context keys').find(
      (r) => r[0] === '`retryBudgetMinutes`',
    );
    expect(row?.[1]).toBe(`\`${DEFAULT_RETRY_BUDGET_SECONDS / 60}\``);
    // docs/API.md is generated from the props' TSDoc (test/package checks it is current).
    const retryBudget = read('docs/API.md').split('##### `retryBudget`')[1] ?? '';
    expect(retryBudget.split('\n---')[0]).toContain(
      `- *Default:* Duration.minutes(${DEFAULT_RETRY_BUDGET_SECONDS / 60})`,
    );
  });

  test('the other retriers of Scan: DaemonConnectionError twice, ResultPublishError three times', () => {
    const count = (error: string) => scan.Retry?.find((r) => r.ErrorEquals.includes(error))?.MaxAttempts;
    expect([count('DaemonConnectionError'), count('ResultPublishError')]).toEqual([2, 3]);
    expect(read('docs/workflows.md')).toContain(
      'budget, `DaemonConnectionError` twice, and `ResultPublishError` three times before it fails in\n  `ResultNotPublished`',
    );
  });

  test('the Express Scan retries nothing itself: redelivery is its retry', () => {
    expect(state(SCAN_EXPRESS_STATE_MACHINE, 'Scan').Retry).toBeUndefined();
    expect(read('docs/workflows.md')).toContain(
      'so `Scan` does not wait out cold starts and throttling itself',
    );
  });
});

function budgetedCap(retrier: Retrier): number {
  if (retrier.MaxDelaySeconds === undefined) throw new Error('not a budgeted retrier');
  return retrier.MaxDelaySeconds;
}

test('the Scan and UpdateDefinitions tasks wait as long as docs/deploy.md says', () => {
  const scan = state(SCAN_STATE_MACHINE, 'Scan').TimeoutSeconds;
  expect(state(UPDATE_STATE_MACHINE, 'UpdateDefinitions').TimeoutSeconds).toBe(scan);
  expect(read('docs/deploy.md')).toContain(
    `and \`UpdateDefinitions\` tasks wait ${scan} s, longer than any Lambda timeout.`,
  );
});

/** A function's Timeout and environment in a synthesized template, by the construct's ID. */
function lambdaFunction(template: Template, id: 'Scanner' | 'Updater') {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).find(([logicalId]) =>
    logicalId.startsWith(`LambdaAv${id}`),
  );
  if (!found) throw new Error(`no ${id} function`);
  const { Timeout, Environment } = found[1].Properties as {
    Timeout: number;
    Environment: { Variables: Record<string, string> };
  };
  return { timeout: Timeout, env: Environment.Variables };
}

describe('a default Standard stack', () => {
  const { template } = buildLambdaAv((stack) => ({
    scanBuckets: [{ bucket: new s3.Bucket(stack, 'Uploads') }],
  }));
  const deploy = read('docs/deploy.md');

  test("the functions' timeouts hold their steps as docs/deploy.md adds them up", () => {
    const b = DEFAULT_BUDGETS_MS;
    const s = (ms: number) => `${ms / 1000} s`;
    const scannerSteps = b.definitionsDownload + b.daemonStart + b.scan;
    const updaterSteps = 2 * b.definitionsDownload + b.freshclam + b.verify;
    const scanner = lambdaFunction(template, 'Scanner').timeout;
    const updater = lambdaFunction(template, 'Updater').timeout;

    expect(deploy).toContain(
      `| scanner | a cold start: download the definitions ${s(b.definitionsDownload)} + clamd load ${s(b.daemonStart)} + one scan ${s(b.scan)} = ${s(scannerSteps)} | ${withMargin(Duration.millis(scannerSteps)).toSeconds()} s -> **${minutes(scanner)}** |`,
    );
    expect(deploy).toContain(
      `| updater | restore the published set ${s(b.definitionsDownload)} + freshclam ${s(b.freshclam)} + load the new set in ClamAV ${s(b.verify)} + upload it ${s(b.definitionsDownload)} = ${s(updaterSteps)} | ${withMargin(Duration.millis(updaterSteps)).toSeconds()} s -> **${minutes(updater)}** |`,
    );
    expect(read('docs/API.md')).toContain(`in whole minutes (${minutes(scanner)} with the default budgets)`);
    expect(read('docs/API.md')).toContain(`in whole minutes (${minutes(updater)} with the default budgets)`);
  });

  test("the sweep's settle window is the one the docs give", () => {
    // The sweep rule's input names the bucket (a Ref inside an Fn::Join): read the window out of it.
    const windows = Object.values(template.findResources('AWS::Events::Rule'))
      .map((rule) => JSON.stringify(rule.Properties.Targets))
      .filter((targets) => targets.includes('sweep'))
      .map((targets) => /modifiedBefore\\*"\s*:\s*\\*"(PT\d+M)/.exec(targets)?.[1]);
    expect(windows).toHaveLength(1);
    const window = windows[0] ?? '';
    const windowMinutes = Number(/^PT(\d+)M$/.exec(window)?.[1]);

    expect(deploy).toContain(`"modifiedBefore": "${window}"`);
    expect(deploy).toContain(`${windowMinutes} minutes with the\n  defaults`);
    expect(read('docs/workflows.md')).toContain(`settle window (${windowMinutes} minutes by default)`);
    expect(read('docs/bulk-scans.md')).toContain(`modifiedBefore: "${window}"`);
    expect(read('docs/cli.md')).toContain(`\`${window}\``);
  });

  test("the scanner's /tmp is the sum docs/deploy.md shows", () => {
    const storage = scannerStorage(DEFAULT_MAX_FILE_SIZE);
    expect(deploy).toContain(
      `With the default ${DEFAULT_MAX_FILE_SIZE / 2 ** 20} MiB: ${storage.definitionsMib} + ${storage.streamSpoolMib} + ${storage.extractionMib} + ${storage.headroomMib} = **${storage.totalMib} MiB**`,
    );
  });
});

describe('an Express stack', () => {
  const { template } = buildLambdaAv(() => ({ workflowType: WorkflowType.EXPRESS }));
  const queue = Object.values(template.findResources('AWS::SQS::Queue')).find(
    (q) => q.Properties.RedrivePolicy !== undefined,
  )?.Properties as { VisibilityTimeout: number; RedrivePolicy: { maxReceiveCount: number } };

  test('the queue delivers again after the visibility timeout, as many times as the budget holds', () => {
    const every = `${queue.VisibilityTimeout / 60} minutes`;
    expect(read('docs/deploy.md')).toContain(
      `once its visibility timeout (${every}, longer than any execution) has passed: the deliveries\ncarry the retries, up to \`retryBudget\` (${minutes(DEFAULT_RETRY_BUDGET_SECONDS)}: ${queue.RedrivePolicy.maxReceiveCount} deliveries)`,
    );
    expect(read('docs/workflows.md')).toContain(`the queue delivers the event again every ${every}`);
  });

  test("the scanner's shorter budgets and timeout, and the updater's, are the ones docs/deploy.md gives", () => {
    const scanner = lambdaFunction(template, 'Scanner');
    const updater = lambdaFunction(template, 'Updater');
    const s = (name: string) => `${Number(scanner.env[name]) / 1000} s`;
    expect(read('docs/deploy.md')).toContain(
      `(definitions download ${s('DEFINITIONS_DOWNLOAD_TIMEOUT_MS')}, clamd start ${s('CLAMD_START_TIMEOUT_MS')}, one scan\n${s('CLAMD_SCAN_TIMEOUT_MS')}; its timeout ${scanner.timeout} s)`,
    );
    expect(read('docs/deploy.md')).toContain(
      `the updater's download\nbudget is ${Number(updater.env.DEFINITIONS_DOWNLOAD_TIMEOUT_MS) / 1000} s too, which makes its timeout ${minutes(updater.timeout)}`,
    );
  });
});

describe('bulk scans', () => {
  const page = read('docs/bulk-scans.md');

  test('the batch size, its limit, the objects scanned at once and the failures tolerated are the plan defaults', () => {
    expect(page).toContain(`**Batch size:** ${DEFAULT_BATCH_SIZE} by default`);
    expect(page).toContain(`at most ${MAX_BATCH_SIZE}, for a`);
    expect(page).toContain(`\`scanConcurrency\` (default ${DEFAULT_SCAN_CONCURRENCY})`);
    expect(page).toContain(
      `\`toleratedFailurePercentage\` (default ${DEFAULT_TOLERATED_FAILURE_PERCENTAGE})`,
    );
    expect(
      tableAfter(read('docs/deploy.md'), '### Context keys').find((r) => r[0] === '`bulkBatchSize`')?.[1],
    ).toBe(`\`${DEFAULT_BATCH_SIZE}\``);
  });

  test("a bulk scan's batch waits out a starting clamd as docs/workflows.md's table says (generated)", () => {
    const batch = asl(BULK_SCAN_STATE_MACHINE);
    expect(JSON.stringify(batch)).toContain('"ScanBatch"');
    expect(read('docs/workflows.md')).toMatch(/\| `ScanBatch`, `InventoryScanBatch` \| `DaemonStartupError`/);
  });
});

describe("clamd's limits in docs/verdicts.md", () => {
  const rows = tableAfter(read('docs/verdicts.md'), "clamd's limits are derived from");
  const conf = (maxFileSize: number) =>
    Object.fromEntries(
      renderClamdConf({
        socketPath: '/s',
        databaseDir: '/d',
        tempDir: '/t',
        maxFileSize,
        maxScanSize: defaultMaxScanSize(maxFileSize),
      })
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string]),
    );
  const MIB = 2 ** 20;

  test('every option the table names with a fixed value is set so', () => {
    const fixed = rows.filter((row) => /^`(yes|no)`/.test(row[1] ?? ''));
    expect(fixed.length).toBeGreaterThanOrEqual(3);
    for (const [option = '', value = ''] of fixed) {
      expect(`${option.replace(/`/g, '')} ${conf(DEFAULT_MAX_FILE_SIZE)[option.replace(/`/g, '')]}`).toBe(
        `${option.replace(/`/g, '')} ${value.match(/`(yes|no)`/)?.[1]}`,
      );
    }
  });

  test('StreamMaxLength is MAX_FILE_SIZE; MaxScanSize 4 x, at least 100 MiB, at most 2 GiB - 1; MaxFileSize equals it', () => {
    expect(rows.map((row) => [row[0], row[1]])).toEqual(
      expect.arrayContaining([
        ['`StreamMaxLength`', '`MAX_FILE_SIZE`'],
        ['`MaxScanSize`', '4 x `MAX_FILE_SIZE`, at least 100 MiB and at most 2 GiB - 1'],
        ['`MaxFileSize`', '= `MaxScanSize`'],
      ]),
    );
    for (const [size, scan] of [
      [300 * MIB, 1200 * MIB],
      [1 * MIB, 100 * MIB],
      [1024 * MIB, 2 ** 31 - 1],
    ] as const) {
      const c = conf(size);
      expect([Number(c.StreamMaxLength), Number(c.MaxScanSize), Number(c.MaxFileSize)]).toEqual([
        size,
        scan,
        scan,
      ]);
    }
  });
});

test('a variable named with its default in the docs (`NAME`, default X) has that default in the registry', () => {
  const claims = PAGES.filter((page) => page !== 'docs/configuration.md').flatMap((page) =>
    [...read(page).matchAll(/`([A-Z][A-Z0-9_]{3,})`,? default `?([^\s`),;]+)/g)].map((m) => ({
      page,
      name: m[1] ?? '',
      value: m[2] ?? '',
    })),
  );
  expect(claims.length).toBeGreaterThanOrEqual(3);
  for (const { page, name, value } of claims) {
    const setting = (SETTINGS as Record<string, Setting | undefined>)[name];
    const registry =
      setting && 'default' in setting && setting.default !== undefined
        ? String(setting.default)
        : setting?.doc;
    expect({ page, name, registry: registry?.includes(value) ? value : registry }).toEqual({
      page,
      name,
      registry: value,
    });
  }
});

test("the README's measured figures are BENCHMARKS.md's", () => {
  const readme = read('README.md');
  const start = readme.indexOf('<!-- figures from BENCHMARKS.md -->');
  const figures = readme.slice(start, readme.indexOf('<!-- end of figures -->', start));
  const numbers = [...figures.matchAll(/\*\*\$?([\d.,]+)/g)].map((m) => m[1] ?? '');
  const benchmarks = read('BENCHMARKS.md');

  expect(numbers.length).toBeGreaterThanOrEqual(8);
  const literal = (n: string) => n.replace(/\./g, '\\.');
  expect(numbers.filter((n) => !new RegExp(`(^|[^\\d.])${literal(n)}([^\\d]|$)`).test(benchmarks))).toEqual(
    [],
  );
});
