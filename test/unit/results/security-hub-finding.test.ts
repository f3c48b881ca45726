import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PLAN_TIMEOUT_MS } from '../../../src/bulk/member-listing';
import { defaultProductArn, findingId, securityHubFinding } from '../../../src/results/security-hub-finding';
import type { ScanResult } from '../../../src/scan/contract';

const scope = { account: '222222222222', region: 'eu-west-1', partition: 'aws' };
const infected: ScanResult = {
  status: 'INFECTED',
  account: '222222222222',
  bucket: 'member-uploads',
  key: 'dir/invoice.pdf',
  versionId: 'v1',
  size: 68,
  signature: 'Eicar-Signature',
  definitions: 'ClamAV 1.4.6/27000/Mon Dec  7 00:00:00 2026',
  timestamp: Date.parse('2026-12-07T05:00:00Z'),
  durationMs: 12,
};

test('a finding has every required top-level ASFF attribute, in the account that owns the object', () => {
  const finding = securityHubFinding('INFECTED', infected, scope, new Date(infected.timestamp ?? 0));

  for (const field of [
    'AwsAccountId',
    'CreatedAt',
    'Description',
    'GeneratorId',
    'Id',
    'ProductArn',
    'Resources',
    'SchemaVersion',
    'Severity',
    'Title',
    'Types',
    'UpdatedAt',
  ] as const) {
    expect({ field, present: finding[field] !== undefined }).toEqual({ field, present: true });
  }
  expect(finding.AwsAccountId).toBe('222222222222');
  expect(finding.ProductArn).toBe('arn:aws:securityhub:eu-west-1:222222222222:product/222222222222/default');
  expect(finding.SchemaVersion).toBe('2018-10-08');
  expect(finding.Resources).toEqual([
    expect.objectContaining({ Type: 'AwsS3Object', Id: 'arn:aws:s3:::member-uploads/dir/invoice.pdf' }),
  ]);
  expect(finding.FindingProviderFields).toEqual({ Severity: { Label: 'HIGH' }, Types: finding.Types });
  expect(finding.Malware).toEqual([{ Name: 'Eicar-Signature' }]);
  expect(finding.Types?.every((type) => type.split('/').length === 3)).toBe(true);
});

test('an unscannable object is a MEDIUM finding without malware, whatever the tag says', () => {
  const unscannable: ScanResult = {
    ...infected,
    unscannable: true,
    reason: 'encrypted',
    signature: 'Heuristics.Encrypted.Zip',
  };

  const finding = securityHubFinding('UNSCANNABLE', unscannable, scope, new Date(0));

  expect(finding.Severity).toEqual({ Label: 'MEDIUM' });
  expect(finding.Malware).toBeUndefined();
  expect(finding.Description).toContain('could not scan it completely (encrypted)');
});

test('the Id is one per object version: a rescan of the version updates its finding, another version gets its own', () => {
  expect(findingId(infected)).toBe(findingId({ ...infected }));
  expect(findingId(infected)).not.toBe(findingId({ ...infected, versionId: 'v2' }));
  expect(findingId({ ...infected, key: 'k'.repeat(1024) }).length).toBeLessThan(100);
});

test('the product ARN follows the partition', () => {
  expect(defaultProductArn({ account: '222222222222', region: 'cn-north-1', partition: 'aws-cn' })).toBe(
    'arn:aws-cn:securityhub:cn-north-1:222222222222:product/222222222222/default',
  );
});

test("a member bucket's listing stops before the bulk scan Plan state's TimeoutSeconds", () => {
  const asl = JSON.parse(
    readFileSync(path.join(__dirname, '../../../statemachine/bulk-scan.asl.json'), 'utf8'),
  );
  expect(asl.States.Plan.TimeoutSeconds * 1000).toBe(PLAN_TIMEOUT_MS);
});
