import { createHash } from 'node:crypto';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import type { ScanResult, Verdict } from '../scan/contract';
import { SERVICE_NAME } from '../settings';

/** The verdicts that become findings; CLEAN, SKIPPED and PROCESSING_ERROR never do. */
export const FINDING_VERDICTS: readonly Verdict[] = ['INFECTED', 'UNSCANNABLE'];

/** Where a finding lands: the account that owns the object, its Region and partition. */
export interface FindingScope {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/**
 * A custom integration's findings use the account's default product
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-custom-providers.html),
 * and BatchImportFindings must then be called by the finding's own account, `AwsAccountId`
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html):
 * that is why the hub imports a member object's finding through the member role.
 */
export function defaultProductArn(scope: FindingScope): string {
  return `arn:${scope.partition}:securityhub:${scope.region}:${scope.account}:product/${scope.account}/default`;
}

/**
 * The finding's Id: one per object version, so a second scan of the same version (a rescan with
 * newer definitions, a repeated event) updates the finding instead of adding another: Security
 * Hub matches an import to an existing finding by `ProductArn` and `Id`. A hash keeps it short
 * whatever the key's length.
 */
export function findingId(result: Pick<ScanResult, 'bucket' | 'key' | 'versionId'>): string {
  const object = JSON.stringify([result.bucket, result.key, result.versionId ?? null]);
  return `${SERVICE_NAME}/s3-object/${createHash('sha256').update(object).digest('hex')}`;
}

/**
 * An INFECTED or UNSCANNABLE result in AWS Security Finding Format, with the required top-level
 * attributes (https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html).
 * Severity and Types are given in FindingProviderFields too: BatchImportFindings' page says
 * finding providers set them there, so that an analyst's change (BatchUpdateFindings) is kept
 * when the finding is imported again. `verdict` is the canonical one, whatever the tag's name.
 */
export function securityHubFinding(
  verdict: Verdict,
  result: ScanResult,
  scope: FindingScope,
  scannedAt: Date,
): AwsSecurityFinding {
  const infected = verdict === 'INFECTED' && !result.unscannable;
  const severity = { Label: infected ? 'HIGH' : 'MEDIUM' } as const;
  const types = [
    infected ? 'TTPs/Initial Access/Malicious S3 object' : 'Unusual Behaviors/Data/Unscannable S3 object',
  ];
  const at = scannedAt.toISOString();
  const where = `s3://${result.bucket}/${result.key}${result.versionId ? ` (version ${result.versionId})` : ''}`;
  const objectArn = `arn:${scope.partition}:s3:::${result.bucket}/${result.key}`;
  return {
    SchemaVersion: '2018-10-08',
    Id: findingId(result),
    ProductArn: defaultProductArn(scope),
    GeneratorId: `${SERVICE_NAME}/${infected ? 'clamav-detection' : 'clamav-unscannable'}`,
    AwsAccountId: scope.account,
    Region: scope.region,
    CompanyName: 'lambda-av-daemon',
    ProductName: SERVICE_NAME,
    Types: types,
    CreatedAt: at,
    UpdatedAt: at,
    Severity: severity,
    FindingProviderFields: { Severity: severity, Types: types },
    Title: truncate(
      infected
        ? `ClamAV found ${result.signature ?? 'malware'} in an S3 object`
        : 'An S3 object could not be scanned completely',
      256,
    ),
    Description: truncate(
      infected
        ? `${SERVICE_NAME} tagged ${where} ${result.status}: ClamAV reported ${result.signature ?? 'a detection'} (${result.definitions ?? 'definitions unknown'}).`
        : `${SERVICE_NAME} tagged ${where} ${result.status}: ClamAV could not scan it completely (${String(result.reason ?? 'unscannable')}${result.limit ? `, ${result.limit}` : ''}).`,
      1024,
    ),
    ...(infected && result.signature ? { Malware: [{ Name: truncate(result.signature, 64) }] } : {}),
    Resources: [
      {
        Type: 'AwsS3Object',
        Id: objectArn,
        Partition: scope.partition as 'aws',
        Region: scope.region,
        Details: {
          Other: {
            bucket: truncate(result.bucket, 1024),
            ...(result.versionId ? { versionId: result.versionId } : {}),
            status: result.status,
          },
        },
      },
    ],
    RecordState: 'ACTIVE',
    ProductFields: { 'lambda-av/verdict': verdict },
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
