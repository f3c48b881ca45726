/**
 * The retry table of docs/workflows.md, generated from the ASL files (statemachine/*.asl.json):
 * every retrier of every Task, nested ones included, so the page cannot drift from what the state
 * machines do. `npm run docs` writes it; test/docs/generated.test.ts fails when it is out of date.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ACT_ON_INFECTED_STATE_MACHINE,
  BULK_SCAN_STATE_MACHINE,
  SCAN_EXPRESS_STATE_MACHINE,
  SCAN_STATE_MACHINE,
  UPDATE_STATE_MACHINE,
} from '../src/asl/files';
import { LAMBDA_RETRY_ERRORS } from '../src/asl/lambda-errors';
import {
  DEFAULT_RETRY_BUDGET_SECONDS,
  type DefinitionLike,
  isBudgeted,
  maximumWaits,
  type Retrier,
} from '../src/asl/retry-budget';

export const WORKFLOWS_PAGE = path.join(__dirname, '..', 'docs', 'workflows.md');
export const RETRIES_START = '<!-- retries:start -->';
export const RETRIES_END = '<!-- retries:end -->';

/** The machines in the order the page describes them. */
const MACHINES = [
  SCAN_STATE_MACHINE,
  SCAN_EXPRESS_STATE_MACHINE,
  BULK_SCAN_STATE_MACHINE,
  UPDATE_STATE_MACHINE,
  ACT_ON_INFECTED_STATE_MACHINE,
];

/**
 * Lambda's service errors and its throttling, named once above the table: the one list every
 * retrying lambda:invoke Task copies (src/asl/lambda-errors.ts, kept equal by test/unit/asl/asl-facts.test.ts).
 */
export const LAMBDA_TRANSIENT_ERRORS: readonly string[] = LAMBDA_RETRY_ERRORS;

interface Row {
  readonly machine: string;
  readonly states: string[];
  readonly retrier: Retrier;
}

/** Every Task's retriers, nested states included, in document order; equal retriers of one machine share a row. */
export function retryRows(files: readonly string[] = MACHINES): Row[] {
  const rows: Row[] = [];
  for (const file of files) {
    const machine = path.basename(file);
    const definition = JSON.parse(readFileSync(file, 'utf8')) as DefinitionLike;
    for (const { state, retrier } of retriersOf(definition)) {
      const same = rows.find(
        (row) => row.machine === machine && JSON.stringify(row.retrier) === JSON.stringify(retrier),
      );
      if (same) same.states.push(state);
      else rows.push({ machine, states: [state], retrier });
    }
  }
  return rows;
}

function retriersOf(definition: DefinitionLike): Array<{ state: string; retrier: Retrier }> {
  const found: Array<{ state: string; retrier: Retrier }> = [];
  for (const [state, body] of Object.entries(definition.States)) {
    for (const retrier of body.Retry ?? []) found.push({ state, retrier });
    for (const inner of [...(body.Branches ?? []), body.Iterator, body.ItemProcessor]) {
      if (inner) found.push(...retriersOf(inner));
    }
  }
  return found;
}

const code = (text: string) => `\`${text}\``;

function errorsCell(errors: readonly string[]): string {
  const transient = LAMBDA_TRANSIENT_ERRORS.every((name) => errors.includes(name));
  const others = transient ? errors.filter((name) => !LAMBDA_TRANSIENT_ERRORS.includes(name)) : errors;
  return [...(transient ? ["Lambda's service errors and throttling"] : []), ...others.map(code)].join(', ');
}

function attemptsCell(retrier: Retrier): string {
  const attempts = retrier.MaxAttempts ?? 3;
  return isBudgeted(retrier)
    ? `${attempts} (the retry budget: ${DEFAULT_RETRY_BUDGET_SECONDS / 60} minutes by default)`
    : String(attempts);
}

function waitsCell(retrier: Retrier): string {
  const attempts = retrier.MaxAttempts ?? 3;
  const waits = maximumWaits(retrier, attempts);
  const cap = retrier.MaxDelaySeconds;
  const listed =
    cap !== undefined
      ? `${maximumWaits(retrier, 3).join(', ')}, ... s, at most ${cap} s`
      : `${waits.join(', ')} s`;
  return retrier.JitterStrategy === 'FULL'
    ? `${listed}; each drawn between 0 and that (full jitter)`
    : listed;
}

/** The Markdown table, between its markers. */
export function retryTable(files: readonly string[] = MACHINES): string {
  const lines = [
    RETRIES_START,
    '',
    `Lambda's service errors and throttling: ${LAMBDA_TRANSIENT_ERRORS.map(code).join(', ')}.`,
    '',
    '| state machine | states | errors | retries | longest waits |',
    '| --- | --- | --- | ---: | --- |',
    ...retryRows(files).map(
      ({ machine, states, retrier }) =>
        `| ${code(machine)} | ${states.map(code).join(', ')} | ${errorsCell(retrier.ErrorEquals)} | ${attemptsCell(retrier)} | ${waitsCell(retrier)} |`,
    ),
    '',
    RETRIES_END,
  ];
  return lines.join('\n');
}

/** `page` with its retry table replaced by the one the ASL files give. */
export function withRetryTable(page: string, files: readonly string[] = MACHINES): string {
  const start = page.indexOf(RETRIES_START);
  const end = page.indexOf(RETRIES_END);
  if (start < 0 || end < start) throw new Error(`no ${RETRIES_START} ... ${RETRIES_END} section in the page`);
  return page.slice(0, start) + retryTable(files) + page.slice(end + RETRIES_END.length);
}
