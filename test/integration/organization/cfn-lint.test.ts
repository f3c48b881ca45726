import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { WorkflowType } from '../../../infra/lambda-av-choices';
import { memberTemplate } from '../../../infra/organization/member-template';
import { buildLambdaAv } from '../../infra/support';

/**
 * cfn-lint (a judge we did not write: schemas, IAM actions, state machine definitions) on the
 * organization hub's template and on the member template a StackSet deploys. Each exception is
 * listed with why.
 */
const IGNORED = {
  // CDK adds DependsOn on a function's role beside the GetAtt that already orders them.
  W3005: 'CDK: a Lambda function depends on its role explicitly and through Fn::GetAtt',
};

const dir = mkdtempSync(path.join(tmpdir(), 'lambda-av-cfn-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lint(name: string, template: unknown): Promise<string> {
  const file = path.join(dir, `${name}.template.json`);
  writeFileSync(file, JSON.stringify(template, null, 2));
  try {
    await promisify(execFile)('cfn-lint', ['--ignore-checks', ...Object.keys(IGNORED), '--', file]);
    return '';
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return `${stdout}${stderr}`.trim() || String(error);
  }
}

test('cfn-lint finds nothing in the member template', async () => {
  expect(await lint('member', memberTemplate())).toBe('');
}, 120_000);

test('cfn-lint finds nothing in the template of a hub (Standard and Express)', async () => {
  const organization = { organizationId: 'o-abcdefghij', securityHubFindings: true };
  const standard = buildLambdaAv(() => ({ organization }));
  const express = buildLambdaAv(() => ({ organization, workflowType: WorkflowType.EXPRESS }));
  expect(await lint('hub', standard.template.toJSON())).toBe('');
  expect(await lint('hub-express', express.template.toJSON())).toBe('');
}, 180_000);
