import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { BlockReadsError } from './errors';
import { checkTagKey, checkTagValue, quote } from './validation';

/**
 * "Block reads until CLEAN" as bucket policy statements (issue 16, point 3). All are `Deny` for
 * every principal (`Principal: *`), with the exempt roles named by `aws:PrincipalArn`, which for
 * a role session is the role's ARN, not the session's
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 * A missing key makes a negated operator (`StringNotEquals`, `ArnNotEquals`, `StringNotLike`)
 * true (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
 * so an object without the status tag, and an anonymous request (no `aws:PrincipalArn`), are
 * denied. Each condition key is one the action supports, per the Service Authorization
 * Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html):
 * a key an action does not support would silently change what the statement does.
 */
export interface BlockReadsOptions {
  /** `arn:aws:s3:::name` (a token is fine). */
  readonly bucketArn: string;
  /** The bucket's name, for copies within it (`name/key`) (a token is fine). */
  readonly bucketName: string;
  /** The tag holding the verdict (`statusTagKey`, default `av-status`). */
  readonly statusTagKey: string;
  /** The tag holding the scan time (`timestampTagKey`, default `av-timestamp`). */
  readonly timestampTagKey: string;
  /** The status value that lets an object be read (the CLEAN status name). */
  readonly cleanStatus: string;
  /** The roles that write the scan tags: the scanner's. Nobody else may set, change or remove them. */
  readonly taggerRoleArns: readonly string[];
  /**
   * Roles that read objects whatever their status: the scan state machine (its HeadObject needs
   * `s3:GetObject`), bulk-scan and action roles, and any named role. The taggers are added.
   */
  readonly readExemptRoleArns: readonly string[];
}

/** The statement IDs, which name what each statement guards. */
export const BLOCK_READS_SIDS = {
  read: 'LambdaAvReadOnlyWhenClean',
  setScanTags: 'LambdaAvOnlyTheScannerSetsScanTags',
  retagScanned: 'LambdaAvOnlyTheScannerRetagsScannedObjects',
  copyIn: 'LambdaAvNoCopiesFromOtherBuckets',
  replicateOut: 'LambdaAvOnlyExemptRolesReplicateOut',
  replicateIn: 'LambdaAvNoReplicasIn',
} as const;

export { BlockReadsError };

/**
 * The statements, in order:
 * 1. no `s3:GetObject`/`s3:GetObjectVersion` unless the object's status tag is the CLEAN status
 *    (`StringNotEquals s3:ExistingObjectTag/<status>`; a missing tag is "not equal"), except the
 *    read-exempt roles and taggers;
 * 2. no `s3:PutObject`, `s3:PutObjectTagging`, `s3:PutObjectVersionTagging` whose request sets
 *    the status or timestamp tag, in any letter case (`ForAnyValue:StringEqualsIgnoreCase
 *    s3:RequestObjectTagKeys`), except the taggers: nobody labels their own upload CLEAN;
 * 3. no `s3:PutObjectTagging`, `s3:PutObjectVersionTagging`, `s3:DeleteObjectTagging`,
 *    `s3:DeleteObjectVersionTagging` on an object that carries the status tag (`Null
 *    s3:ExistingObjectTag/<status> false`), except the taggers: replacing a tag set replaces
 *    ours, so once scanned an object's tags are the scanner's;
 * 4. no `s3:PutObject` copying from another bucket (`s3:x-amz-copy-source` present and not
 *    `name/...` or `/name/...`), except the taggers: a copy keeps its source's tags by default
 *    (`TaggingDirective COPY`), which could bring a CLEAN tag nobody here wrote. Copies within
 *    the bucket carry tags the scanner wrote;
 * 5. no `s3:GetObjectVersionForReplication`, except the read-exempt roles and taggers: replication
 *    would copy objects out before their scan, and the action takes no tag condition key (Service
 *    Authorization Reference), so it cannot be limited to CLEAN objects. A replication role named
 *    in the read-exempt roles replicates everything, scanned or not;
 * 6. no `s3:ReplicateObject`, `s3:ReplicateTags` into the bucket, except the taggers: a replica
 *    arrives with its source's tags, which could say CLEAN, and neither action takes a tag
 *    condition key either.
 */
export function blockReadsStatements(options: BlockReadsOptions): iam.PolicyStatement[] {
  const { bucketArn, bucketName, statusTagKey, timestampTagKey, cleanStatus } = options;
  checkTagKey('statusTagKey', statusTagKey);
  checkTagKey('timestampTagKey', timestampTagKey);
  checkTagValue('cleanStatus', cleanStatus);
  if (statusTagKey.toLowerCase() === timestampTagKey.toLowerCase()) {
    throw new BlockReadsError(
      `blockReads: statusTagKey and timestampTagKey must differ, got ${quote(statusTagKey)} and ${quote(timestampTagKey)}`,
    );
  }
  const taggers = roleArns('taggerRoleArns', options.taggerRoleArns);
  if (taggers.length === 0) {
    throw new BlockReadsError(
      'blockReads: taggerRoleArns is empty: with nobody allowed to write the status tag, no object could ever be read',
    );
  }
  const readers = unique([...taggers, ...roleArns('readExemptRoleArns', options.readExemptRoleArns)]);
  const status = `s3:ExistingObjectTag/${statusTagKey}`;
  const objects = `${bucketArn}/*`;
  const deny = (sid: string, actions: string[], conditions: Record<string, unknown>, exempt: string[]) =>
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions,
      resources: [objects],
      conditions: { ...conditions, ArnNotEquals: { 'aws:PrincipalArn': exempt } },
    });

  return [
    deny(
      BLOCK_READS_SIDS.read,
      ['s3:GetObject', 's3:GetObjectVersion'],
      { StringNotEquals: { [status]: cleanStatus } },
      readers,
    ),
    deny(
      BLOCK_READS_SIDS.setScanTags,
      ['s3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
      // Ignoring case: condition key names are not case-sensitive in IAM, so a tag AV-STATUS
      // might be read as av-status by the first statement; refusing every casing settles it.
      {
        'ForAnyValue:StringEqualsIgnoreCase': { 's3:RequestObjectTagKeys': [statusTagKey, timestampTagKey] },
      },
      taggers,
    ),
    deny(
      BLOCK_READS_SIDS.retagScanned,
      [
        's3:PutObjectTagging',
        's3:PutObjectVersionTagging',
        's3:DeleteObjectTagging',
        's3:DeleteObjectVersionTagging',
      ],
      { Null: { [status]: 'false' } },
      taggers,
    ),
    deny(
      BLOCK_READS_SIDS.copyIn,
      ['s3:PutObject'],
      {
        // The copy source is `bucket/key`; AWS's examples write it with and without a leading slash.
        Null: { 's3:x-amz-copy-source': 'false' },
        StringNotLike: { 's3:x-amz-copy-source': [`${bucketName}/*`, `/${bucketName}/*`] },
      },
      taggers,
    ),
    deny(BLOCK_READS_SIDS.replicateOut, ['s3:GetObjectVersionForReplication'], {}, readers),
    deny(BLOCK_READS_SIDS.replicateIn, ['s3:ReplicateObject', 's3:ReplicateTags'], {}, taggers),
  ];
}

/**
 * Adds {@link blockReadsStatements} to the policy of a bucket this app defines. Throws
 * {@link BlockReadsError} for an imported bucket, whose policy CDK cannot change
 * (`addToResourcePolicy` answers `statementAdded: false`): its owner adds the statements
 * documented in docs/deploy.md.
 */
export function applyBlockReads(
  bucket: s3.IBucket,
  options: Omit<BlockReadsOptions, 'bucketArn' | 'bucketName'>,
): iam.PolicyStatement[] {
  const statements = blockReadsStatements({
    ...options,
    bucketArn: bucket.bucketArn,
    bucketName: bucket.bucketName,
  });
  for (const statement of statements) {
    if (!bucket.addToResourcePolicy(statement).statementAdded) {
      const name = Token.isUnresolved(bucket.bucketName) ? bucket.node.path : quote(bucket.bucketName);
      throw new BlockReadsError(
        `blockReads: bucket ${name} is imported, and CDK cannot change the policy of a bucket it does not create. Add the statements of docs/deploy.md ("Block reads until CLEAN", for imported buckets) to its bucket policy where the bucket is defined, and leave blockReads off for it here`,
      );
    }
  }
  return statements;
}

/** Role ARNs; a session ARN is refused, since `aws:PrincipalArn` never holds one. */
function roleArns(field: string, arns: readonly string[]): string[] {
  for (const arn of arns) {
    if (Token.isUnresolved(arn)) continue;
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(arn)) {
      throw new BlockReadsError(
        `blockReads: ${field} must be IAM role ARNs (arn:aws:iam::ACCOUNT:role/NAME); aws:PrincipalArn holds the role's ARN, never a session's (arn:aws:sts::...:assumed-role/...). Got ${quote(arn)}`,
      );
    }
  }
  return unique(arns);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
