import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SCAN_EXPRESS_STATE_MACHINE, SCAN_STATE_MACHINE, STATE_MACHINE_DIR } from '../../../src/asl/files';
import { LAMBDA_RETRY_ERRORS, SERVICE_ERROR_PREFIXES } from '../../../src/asl/lambda-errors';
import { withRetryBudget } from '../../../src/asl/retry-budget';
import * as errors from '../../../src/errors';

// ASL has no references: what the state machines repeat (error names, the Lambda retry list, the
// states the two scan machines share) is kept equal here.

interface Retrier {
  readonly ErrorEquals: readonly string[];
}
interface State {
  readonly Type: string;
  readonly Resource?: string;
  readonly Error?: string;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Retrier[];
  readonly Iterator?: Definition;
  readonly ItemProcessor?: Definition;
  readonly Branches?: readonly Definition[];
  readonly [key: string]: unknown;
}
interface Definition {
  readonly States: Readonly<Record<string, State>>;
}

const read = (file: string): Definition => JSON.parse(readFileSync(file, 'utf8'));
const FILES = readdirSync(STATE_MACHINE_DIR)
  .filter((name) => name.endsWith('.asl.json'))
  .sort();
/** The files, and the copy the construct deploys for another retry budget (infra/asl-definition.ts). */
const DEFINITIONS: Array<[string, Definition]> = [
  ...FILES.map((file): [string, Definition] => [file, read(path.join(STATE_MACHINE_DIR, file))]),
  ['scan.asl.json with a 2-hour retry budget', withRetryBudget(read(SCAN_STATE_MACHINE) as never, 7200)],
];

/** Every state of a definition, nested ones (Map processors, Parallel branches) included. */
function allStates(definition: Definition): Array<[string, State]> {
  return Object.entries(definition.States).flatMap(
    ([name, state]): Array<[string, State]> => [
      [name, state],
      ...[state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]
        .filter((inner): inner is Definition => inner !== undefined)
        .flatMap(allStates),
    ],
  );
}

/** The error names of src/errors.ts: each named error's class name is its `name`. */
const PROJECT_ERRORS = new Set(
  Object.entries(errors)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
    .map(([name]) => name),
);
/** The States.* error names the Amazon States Language defines. */
const STATES_ERRORS = new Set([
  'States.ALL',
  'States.BranchFailed',
  'States.DataLimitExceeded',
  'States.ExceedToleratedFailureThreshold',
  'States.HeartbeatTimeout',
  'States.Http.Socket',
  'States.IntrinsicFailure',
  'States.ItemReaderFailed',
  'States.NoChoiceMatched',
  'States.ParameterPathFailure',
  'States.Permissions',
  'States.QueryEvaluationError',
  'States.ResultPathMatchFailure',
  'States.ResultWriterFailed',
  'States.Runtime',
  'States.TaskFailed',
  'States.Timeout',
]);

const isLambdaInvoke = (state: State) => /^arn:[^:]+:states:::lambda:invoke$/.test(state.Resource ?? '');

describe.each(DEFINITIONS)('%s', (_, definition) => {
  const states = allStates(definition);

  test('every error name it retries, catches or fails with is a class of src/errors.ts or a service error', () => {
    const named = states.flatMap(([state, body]) =>
      [
        ...[...(body.Retry ?? []), ...(body.Catch ?? [])].flatMap((r) => r.ErrorEquals),
        ...(body.Error !== undefined ? [body.Error] : []),
      ].map((error) => ({ state, error })),
    );
    const unknown = named.filter(({ error }) => {
      if (PROJECT_ERRORS.has(error)) return false;
      if (error.startsWith('States.')) return !STATES_ERRORS.has(error);
      if (error.startsWith('Lambda.')) return !(LAMBDA_RETRY_ERRORS as readonly string[]).includes(error);
      return !SERVICE_ERROR_PREFIXES.some((prefix) => error.startsWith(prefix));
    });

    expect(named.length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  test('every lambda:invoke Task that retries has one retrier for the shared Lambda errors, in their order', () => {
    for (const [state, body] of states.filter(([, s]) => isLambdaInvoke(s) && s.Retry !== undefined)) {
      const withLambda = (body.Retry ?? []).filter((r) => r.ErrorEquals.some((e) => e.startsWith('Lambda.')));
      const lambdaPart = withLambda.map((r) => r.ErrorEquals.filter((e) => e.startsWith('Lambda.')));

      expect({ state, lambdaPart }).toEqual({ state, lambdaPart: [[...LAMBDA_RETRY_ERRORS]] });
      // The project's own errors may share the retrier (the scan's budget), after the list.
      expect({ state, head: withLambda[0]?.ErrorEquals.slice(0, LAMBDA_RETRY_ERRORS.length) }).toEqual({
        state,
        head: [...LAMBDA_RETRY_ERRORS],
      });
    }
  });
});

test('the Lambda retry list holds the transient errors AWS lists for Lambda in Step Functions, and throttling', () => {
  expect([...LAMBDA_RETRY_ERRORS].sort()).toEqual([
    'Lambda.AWSLambdaException',
    'Lambda.ClientExecutionTimeoutException',
    'Lambda.SdkClientException',
    'Lambda.ServiceException',
    'Lambda.TooManyRequestsException',
  ]);
});

test('every lambda:invoke Task retries, but the Express Scan: the queue redelivery is its retry', () => {
  const withoutRetry = DEFINITIONS.flatMap(([file, definition]) =>
    allStates(definition)
      .filter(([, state]) => isLambdaInvoke(state) && state.Retry === undefined)
      .map(([state]) => `${file}: ${state}`),
  );

  expect(withoutRetry).toEqual(['scan-express.asl.json: Scan']);
});

describe('the states scan.asl.json and scan-express.asl.json share', () => {
  const standard = read(SCAN_STATE_MACHINE).States;
  const express = read(SCAN_EXPRESS_STATE_MACHINE).States;
  const shared = Object.keys(standard).filter((name) => name in express);
  /**
   * What may differ, and why: Express runs within 5 minutes, so its timeouts and retries are
   * shorter (its queue's redeliveries carry the long waits); where a failure goes (Catch); the
   * comments. Express reads the request from `$.input` (it unpacks SQS messages first).
   */
  const comparable = (state: State) => {
    const { Comment: _c, TimeoutSeconds: _t, Retry: _r, Catch: _k, ...rest } = state;
    return JSON.parse(JSON.stringify(rest).replace(/"\$\.input(?=[."])/g, '"$'));
  };

  test('are the size check and the scanner calls', () => {
    expect(shared.sort()).toEqual([
      'CheckSize',
      'HeadObject',
      'HeadObjectVersion',
      'ReadInput',
      'Scan',
      'TagProcessingError',
      'TagSkipped',
    ]);
  });

  test.each(shared)(
    '%s is the same in both but for timeouts, retries, catchers and where the input sits',
    (name) => {
      expect(comparable(express[name] as State)).toEqual(comparable(standard[name] as State));
    },
  );

  test('their S3 retriers retry the same errors', () => {
    for (const name of ['HeadObject', 'HeadObjectVersion']) {
      expect(express[name]?.Retry?.map((r) => r.ErrorEquals)).toEqual(
        standard[name]?.Retry?.map((r) => r.ErrorEquals),
      );
    }
  });
});
