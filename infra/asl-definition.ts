import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  ACT_ON_INFECTED_STATE_MACHINE,
  BULK_SCAN_STATE_MACHINE,
  SCAN_EXPRESS_STATE_MACHINE,
  SCAN_STATE_MACHINE,
  UPDATE_STATE_MACHINE,
} from '../src/asl/files';
import { placeholderMismatch } from '../src/asl/placeholders';
import { type DefinitionLike, withRetryBudget } from '../src/asl/retry-budget';
import { LambdaAvPropsError } from './validation';

/** The ASL files (src/asl/files.ts), under the names the constructs use. */
export { STATE_MACHINE_DIR } from '../src/asl/files';
export const SCAN_DEFINITION_FILE = SCAN_STATE_MACHINE;
export const SCAN_EXPRESS_DEFINITION_FILE = SCAN_EXPRESS_STATE_MACHINE;
export const UPDATE_DEFINITION_FILE = UPDATE_STATE_MACHINE;
export const ACT_ON_INFECTED_DEFINITION_FILE = ACT_ON_INFECTED_STATE_MACHINE;
export const BULK_SCAN_DEFINITION_FILE = BULK_SCAN_STATE_MACHINE;

export interface AslDefinition {
  readonly definitionBody: sfn.DefinitionBody;
  readonly definitionSubstitutions: Record<string, string>;
}

/**
 * A state machine definition from an ASL file, uploaded as an asset, with its `${Placeholders}`
 * filled by `definitionSubstitutions` (`${Partition}` by the stack's partition). Throws at synth time when the file names a placeholder
 * without a value or a value matches no placeholder (a renamed placeholder would otherwise
 * reach AWS as literal text). A file definition gets no automatic IAM: the caller grants what
 * its states call.
 */
export function aslDefinition(
  scope: Construct,
  file: string,
  given: Record<string, string>,
  options: { readonly retryBudgetSeconds?: number } = {},
): AslDefinition {
  // The integration ARNs' partition (`arn:${Partition}:states:::lambda:invoke`): a literal such
  // as `aws-cn` when the stack's region is known, else the stack's AWS::Partition.
  const substitutions = { Partition: Stack.of(scope).partition, ...given };
  const { missing, unused } = placeholderMismatch(readFileSync(file, 'utf8'), substitutions);
  if (missing.length > 0 || unused.length > 0) {
    throw new LambdaAvPropsError(
      `${path.basename(file)}: placeholders without a substitution: [${missing.join(', ')}]; substitutions matching no placeholder: [${unused.join(', ')}]`,
    );
  }
  return {
    definitionBody: sfn.DefinitionBody.fromFile(withBudget(file, options.retryBudgetSeconds)),
    definitionSubstitutions: substitutions,
  };
}

/**
 * The file, or, when the retry budget changes its budgeted retriers' MaxAttempts, a copy with
 * those changed (named by its content, so synths of the same settings share it). The file itself
 * holds the default budget's attempts (test/unit/asl/retry-budget.test.ts).
 */
function withBudget(file: string, budgetSeconds: number | undefined): string {
  if (budgetSeconds === undefined) return file;
  const text = readFileSync(file, 'utf8');
  const definition = JSON.parse(text) as DefinitionLike;
  const budgeted = withRetryBudget(definition, budgetSeconds);
  if (JSON.stringify(budgeted) === JSON.stringify(definition)) return file;
  const content = `${JSON.stringify(budgeted, null, 2)}\n`;
  const dir = path.join(tmpdir(), 'lambda-av-asl');
  mkdirSync(dir, { recursive: true });
  const derived = path.join(
    dir,
    `${createHash('sha256').update(content).digest('hex').slice(0, 16)}-${path.basename(file)}`,
  );
  writeFileSync(derived, content);
  return derived;
}

/** A Task state's `TimeoutSeconds` in an ASL file. */
export function taskTimeoutSeconds(file: string, stateName: string): number {
  const definition = JSON.parse(readFileSync(file, 'utf8')) as {
    States: Record<string, { TimeoutSeconds?: unknown }>;
  };
  const timeout = definition.States[stateName]?.TimeoutSeconds;
  if (typeof timeout !== 'number') {
    throw new Error(`${path.basename(file)}: state ${stateName} has no numeric TimeoutSeconds`);
  }
  return timeout;
}
