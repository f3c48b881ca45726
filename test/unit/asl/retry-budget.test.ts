import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { aslDefinition, SCAN_DEFINITION_FILE } from '../../../infra/asl-definition';
import {
  attemptsForBudget,
  budgetedRetriers,
  DEFAULT_RETRY_BUDGET_SECONDS,
  expectedWaitSeconds,
  mapRetriers,
  maximumWaits,
  withRetryBudget,
} from '../../../src/asl/retry-budget';

const retrier = {
  ErrorEquals: ['Lambda.TooManyRequestsException'],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxDelaySeconds: 120,
  JitterStrategy: 'FULL' as const,
};
const scan = JSON.parse(readFileSync(SCAN_DEFINITION_FILE, 'utf8'));

test('waits double from the interval up to the cap; full jitter halves the expected total', () => {
  expect(maximumWaits(retrier, 9)).toEqual([2, 4, 8, 16, 32, 64, 120, 120, 120]);
  expect(expectedWaitSeconds(retrier, 9)).toBe((2 + 4 + 8 + 16 + 32 + 64 + 360) / 2);
  expect(expectedWaitSeconds({ ...retrier, JitterStrategy: 'NONE' }, 9)).toBe(486);
});

test('the attempts for a budget are the fewest whose expected wait reaches it', () => {
  const attempts = attemptsForBudget(retrier, 1800);

  expect(attempts).toBe(35);
  expect(expectedWaitSeconds(retrier, attempts)).toBeGreaterThanOrEqual(1800);
  expect(expectedWaitSeconds(retrier, attempts - 1)).toBeLessThan(1800);
});

test('the scan machine file holds the default budget: every budgeted retrier lasts 30 minutes on average', () => {
  const budgeted = budgetedRetriers(scan);

  expect(budgeted.map((b) => b.state).sort()).toEqual(['Scan', 'TagProcessingError', 'TagSkipped']);
  for (const { retrier: r } of budgeted) {
    expect(r.JitterStrategy).toBe('FULL');
    expect(r.MaxAttempts).toBe(attemptsForBudget(r, DEFAULT_RETRY_BUDGET_SECONDS));
    expect(r.ErrorEquals).toContain('Lambda.TooManyRequestsException');
  }
  expect(withRetryBudget(scan, DEFAULT_RETRY_BUDGET_SECONDS)).toEqual(scan);
});

test('the scanner calls retry alike: ASL has no references, so this keeps the copies of each retrier equal', () => {
  const budgeted = budgetedRetriers(scan);
  const publish = ['Scan', 'TagSkipped', 'TagProcessingError'].map((state) =>
    scan.States[state].Retry.find((r: sfn.RetryProps & { ErrorEquals: string[] }) =>
      r.ErrorEquals.includes('ResultPublishError'),
    ),
  );

  // The same Lambda errors and waits everywhere; only Scan starts clamd, so only it waits for it.
  const lambdaPart = budgeted.map(({ retrier }) =>
    JSON.stringify({ ...retrier, ErrorEquals: retrier.ErrorEquals.filter((e) => e.startsWith('Lambda.')) }),
  );
  expect(new Set(lambdaPart).size).toBe(1);
  for (const { state, retrier } of budgeted) {
    expect([state, retrier.ErrorEquals.filter((e) => !e.startsWith('Lambda.'))]).toEqual([
      state,
      state === 'Scan' ? ['DaemonStartupError', 'DefinitionsNotPublishedError'] : [],
    ]);
  }
  expect(publish.every((r) => r !== undefined)).toBe(true);
  expect(new Set(publish.map((r) => JSON.stringify(r))).size).toBe(1);
});

test('errors about the object itself are not budgeted: they end the scan quickly', () => {
  const budgetedErrors = budgetedRetriers(scan).flatMap((b) => b.retrier.ErrorEquals);

  for (const error of [
    'ObjectNotFoundError',
    'AccessDeniedError',
    'InvalidEventError',
    'TagLimitExceededError',
  ]) {
    expect(budgetedErrors).not.toContain(error);
  }
});

test('the construct deploys a copy with other attempts for another budget, and the file itself for the default', () => {
  const path = (seconds: number) =>
    (
      aslDefinition(
        new Stack(),
        SCAN_DEFINITION_FILE,
        { ScannerFunctionArn: 'arn', MaxFileSize: '1' },
        { retryBudgetSeconds: seconds },
      ).definitionBody as sfn.DefinitionBody & { path: string }
    ).path;

  expect(path(DEFAULT_RETRY_BUDGET_SECONDS)).toBe(SCAN_DEFINITION_FILE);
  const twoHours = JSON.parse(readFileSync(path(7200), 'utf8'));
  expect(budgetedRetriers(twoHours).map((b) => b.retrier.MaxAttempts)).toEqual([125, 125, 125]);
  // 126 s for the first six waits, then 120 s each: (2 x 7200 - 126) / 120 = 118.95, so 6 + 119.
  expect(attemptsForBudget(retrier, 7200)).toBe(125);
  // Nothing else differs.
  expect(withRetryBudget(twoHours, DEFAULT_RETRY_BUDGET_SECONDS)).toEqual(scan);
});

test('mapRetriers changes every retrier, in Parallel branches and Map processors too, on a copy', () => {
  const retry = [{ ErrorEquals: ['X'], IntervalSeconds: 1 }];
  const nested = { StartAt: 'B', States: { B: { Type: 'Task', Retry: retry, End: true } } };
  const definition = {
    StartAt: 'A',
    States: {
      A: { Type: 'Parallel', Branches: [nested], Next: 'M' },
      M: { Type: 'Map', ItemProcessor: nested, Retry: retry, Next: 'C' },
      C: { Type: 'Pass', End: true },
    },
  };

  const changed = mapRetriers(definition, (r) => ({ ...r, MaxAttempts: 9 }));

  expect(JSON.stringify(changed).match(/"MaxAttempts":9/g)).toHaveLength(3);
  expect(changed.States.C).toEqual({ Type: 'Pass', End: true });
  expect(JSON.stringify(definition)).not.toContain('MaxAttempts');
});
