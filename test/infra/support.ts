import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LambdaAv, type LambdaAvProps } from '../../infra';
import { LambdaAvStack, type LambdaAvStackProps } from '../../infra/lambda-av-stack';

const ROOT = path.join(__dirname, '..', '..');

/** The feature flags the real app runs with (cdk.json), so tests see the same template. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'),
).context;

/** Cloud assemblies and the stand-in code of this test file, removed after its tests. */
let workDir: string | undefined;
function scratch(name: string): string {
  workDir ??= mkdtempSync(path.join(tmpdir(), 'lambda-av-infra-'));
  return mkdtempSync(path.join(workDir, `${name}-`));
}
// Registered when a test file imports this module, so it runs after all of that file's tests.
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

let standInDir: string | undefined;

/** A small stand-in for lambda.zip: building the real one takes a minute (test/build/synth.test.ts does). */
export function standInCode(): lambda.Code {
  if (!standInDir) {
    standInDir = scratch('code');
    writeFileSync(
      path.join(standInDir, 'index.js'),
      'exports.scanFileHandler = async () => ({});\nexports.updateDefinitionsHandler = async () => ({});\nexports.actOnInfectedHandler = async () => ({});\n',
    );
  }
  return lambda.Code.fromAsset(standInDir);
}

/**
 * A test App with the app's feature flags. CDK's built-in CloudFormation validation (a few
 * seconds of WebAssembly per synth) is left to the real synth test.
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({
    context: { ...CDK_CONTEXT, ...context },
    outdir: scratch('cdk.out'),
    builtinCloudFormationValidation: false,
  });
}

/** A fresh directory, removed after the test file's tests. */
export function scratchDir(name: string): string {
  return scratch(name);
}

export interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly av: LambdaAv;
  readonly template: Template;
}

/** A LambdaAv in a stack of its own; `props` may create buckets and keys in that stack. */
export function buildLambdaAv(props: (stack: Stack) => LambdaAvProps = () => ({})): Built {
  const app = testApp();
  const stack = new Stack(app, 'Test');
  const av = new LambdaAv(stack, 'LambdaAv', { code: standInCode(), ...props(stack) });
  return { app, stack, av, template: Template.fromStack(stack) };
}

export function buildLambdaAvStack(props: LambdaAvStackProps = {}): {
  stack: LambdaAvStack;
  template: Template;
} {
  const app = testApp();
  const stack = new LambdaAvStack(app, 'LambdaAvTest', {
    ...props,
    lambdaAv: { code: standInCode(), ...props.lambdaAv },
  });
  return { stack, template: Template.fromStack(stack) };
}

/** An IAM statement as synthesized, with actions and resources always as arrays. */
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource: unknown[];
  readonly Condition?: Record<string, unknown>;
  readonly Sid?: string;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function normalise(statement: Record<string, unknown>): Statement {
  return {
    ...(statement as unknown as Statement),
    Action: asArray(statement.Action as string | string[]),
    Resource: asArray(statement.Resource),
  };
}

/** Every statement of every identity policy (AWS::IAM::Policy and roles' inline policies), by logical ID. */
export function identityStatements(template: Template): Array<{ policy: string; statement: Statement }> {
  const out: Array<{ policy: string; statement: Statement }> = [];
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      out.push({ policy: id, statement: normalise(statement) });
    }
  }
  for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const inline of role.Properties.Policies ?? []) {
      for (const statement of inline.PolicyDocument.Statement) {
        out.push({ policy: `${id}/${inline.PolicyName}`, statement: normalise(statement) });
      }
    }
  }
  return out;
}

/** The statements of every identity policy attached to `role`. */
export function statementsOfRole(template: Template, stack: Stack, role: iam.IRole | undefined): Statement[] {
  if (!role) throw new Error('no role');
  const roleId = stack.getLogicalId(role.node.defaultChild as never);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]).map(normalise),
    );
}

/** Actions `statements` allow on resources whose rendering contains `resourceFragment`. */
export function allowedActions(statements: Statement[], resourceFragment?: string): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .filter((s) => resourceFragment === undefined || JSON.stringify(s.Resource).includes(resourceFragment))
    .flatMap((s) => s.Action)
    .sort();
}

export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

export function onlyResource<T = Record<string, unknown>>(template: Template, type: string): T {
  const resources = Object.values(template.findResources(type));
  if (resources.length !== 1) throw new Error(`expected one ${type}, found ${resources.length}`);
  return (resources[0] as { Properties: T }).Properties;
}
