import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { IMPORT_PREFIX } from '../src/definitions/location';
import { addNagSuppressions } from './nag-metadata';

export interface DefinitionsBucketProps {
  /**
   * An existing bucket for the definitions. It is used as it is: no policy, logging or
   * versioning is added to it.
   * @default a new bucket: SSE-S3, public access blocked, TLS enforced, versioned, access logged
   */
  readonly bucket?: s3.IBucket;
  /** Key of the bucket's KMS key, when an existing bucket uses SSE-KMS. @default none (SSE-S3) */
  readonly encryptionKey?: kms.IKey;
  /** Key prefix of the definitions, without leading or trailing slash; '' for the whole bucket. */
  readonly prefix: string;
  /**
   * Where the new bucket's server access logs go.
   * @default a new bucket for them, logs expire after 365 days
   */
  readonly accessLogsBucket?: s3.IBucket;
  /** What happens to the buckets it creates when they are removed. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Object-level actions that change what a scanner would load. Only the updater's role may use them
 * on the prefix of a bucket this construct creates.
 */
const WRITE_ACTIONS = [
  's3:PutObject',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:RestoreObject',
];

/** The bucket and prefix where the updater publishes ClamAV definitions and scanners read them. */
export class DefinitionsBucket extends Construct {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  /** True when this construct created the bucket (and so may set its policy). */
  readonly owned: boolean;
  /** Where the created bucket's server access logs go (none for a bucket given). */
  readonly accessLogsBucket: s3.IBucket | undefined;
  private readonly encryptionKey: kms.IKey | undefined;

  constructor(scope: Construct, id: string, props: DefinitionsBucketProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.encryptionKey = props.encryptionKey;
    if (props.bucket) {
      this.bucket = props.bucket;
      this.owned = false;
      this.accessLogsBucket = props.accessLogsBucket;
      return;
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const accessLogs = props.accessLogsBucket ?? this.createAccessLogsBucket(removalPolicy);
    this.accessLogsBucket = accessLogs;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'definitions-bucket/',
      removalPolicy,
      lifecycleRules: [
        {
          id: 'ExpireReplacedDefinitions',
          // Every update replaces manifest.json and the updater deletes files no manifest names:
          // old versions are kept a while for investigation, not for ever.
          noncurrentVersionExpiration: Duration.days(30),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          id: 'ExpireStagedImports',
          // The updater removes a staged set once published; one that failed stays a week.
          prefix: `${IMPORT_PREFIX}/`,
          expiration: Duration.days(7),
        },
      ],
    });
    this.owned = true;
  }

  /** `prefix/*` (or `*` for the whole bucket), for object ARNs. */
  get objectPattern(): string {
    return this.prefix ? `${this.prefix}/*` : '*';
  }

  /** ListBucket limited to the prefix, GetObject on it, and decryption when the bucket uses KMS. */
  grantRead(grantee: iam.IGrantable): void {
    const statements = [this.listStatement(), this.objectStatement(['s3:GetObject'])];
    for (const statement of statements) grantee.grantPrincipal.addToPrincipalPolicy(statement);
    this.encryptionKey?.grantDecrypt(grantee);
  }

  /**
   * What the updater needs to publish: read, write and delete objects under the prefix (it
   * publishes files then `manifest.json`, and removes files no manifest names any more). On a
   * bucket created here, a bucket policy also denies those writes to every other principal.
   */
  grantPublish(publisher: iam.IRole): void {
    const statements = [
      this.listStatement(),
      this.objectStatement(['s3:GetObject', 's3:PutObject', 's3:DeleteObject']),
    ];
    for (const statement of statements) publisher.addToPrincipalPolicy(statement);
    this.encryptionKey?.grantEncryptDecrypt(publisher);
    if (this.owned) {
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyTheUpdaterWritesDefinitions',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: WRITE_ACTIONS,
          resources: [this.bucket.arnForObjects(this.objectPattern)],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': publisher.roleArn } },
        }),
      );
    }
  }

  /**
   * What the updater needs to import a set staged by `lambda-av definitions publish`: list, read
   * and delete the staged files. On a bucket created here, nobody else may read them, so no
   * scanner can load a file the updater has not verified.
   */
  grantImport(importer: iam.IRole): void {
    const staged = this.bucket.arnForObjects(`${IMPORT_PREFIX}/*`);
    importer.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${IMPORT_PREFIX}/*`] } },
      }),
    );
    importer.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:DeleteObject'], resources: [staged] }),
    );
    this.encryptionKey?.grantDecrypt(importer);
    if (this.owned) {
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyTheUpdaterReadsStagedDefinitions',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [staged],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': importer.roleArn } },
        }),
      );
    }
  }

  private listStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      ...(this.prefix
        ? { conditions: { StringLike: { 's3:prefix': [`${this.prefix}/`, `${this.prefix}/*`] } } }
        : {}),
    });
  }

  private objectStatement(actions: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({ actions, resources: [this.bucket.arnForObjects(this.objectPattern)] });
  }

  private createAccessLogsBucket(removalPolicy: RemovalPolicy): s3.IBucket {
    const logs = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      removalPolicy,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(365),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
    });
    addNagSuppressions(logs, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'This bucket receives the definitions bucket server access logs; logging it to itself would loop and to another bucket would only move the finding.',
      },
    ]);
    return logs;
  }
}
