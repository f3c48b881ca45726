import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../src/metrics';
import { environmentOf, type FunctionEnvironment } from '../src/settings';
import type { CanaryBucket } from './canary-bucket';
import type { DefinitionsBucket } from './definitions-bucket';
import type { RescanTarget } from './lambda-av-props';
import type { Settings } from './lambda-av-settings';

export interface UpdaterFunctionProps {
  readonly code: lambda.Code;
  readonly architecture: lambda.Architecture;
  readonly settings: Settings;
  /** Where the definitions and the canary are (shared with the scanner). */
  readonly definitionsEnvironment: FunctionEnvironment;
  /** The status names (shared with the scanner). */
  readonly statusEnvironment: FunctionEnvironment;
  /** Published by the updater alone. */
  readonly definitions: DefinitionsBucket;
  /** Where the canary's objects are written before the canary scans them. */
  readonly canary: CanaryBucket;
  /** @default ClamAV's own mirror */
  readonly mirrorUrl?: string;
  /** What the update workflow rescans after a new set is published. @default nothing */
  readonly rescans: readonly RescanTarget[];
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The updater function: its log group and its role, the only writer of the definitions prefix,
 * which also writes the canary's objects and publishes the canary's metrics (in the LambdaAV
 * namespace only).
 *
 * A part of LambdaAv, not a construct node of its own, so its resources keep their logical IDs
 * (see ScannerFunction).
 */
export class UpdaterFunction {
  readonly function: lambda.Function;
  readonly role: iam.Role;

  constructor(scope: Construct, props: UpdaterFunctionProps) {
    const { settings } = props;
    const logGroup = new logs.LogGroup(scope, 'UpdaterLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(scope, 'UpdaterRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'lambda-av updater: the only writer of the definitions prefix',
    });
    logGroup.grantWrite(this.role);
    this.function = new lambda.Function(scope, 'Updater', {
      description: 'lambda-av updater: runs freshclam, verifies the set in ClamAV and publishes it',
      code: props.code,
      handler: 'index.updateDefinitionsHandler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: props.architecture,
      memorySize: settings.updaterMemorySize,
      timeout: settings.updaterTimeout,
      ephemeralStorageSize: settings.updaterEphemeralStorage,
      role: this.role,
      logGroup,
      environment: environmentOf({
        ...props.definitionsEnvironment,
        ...(props.mirrorUrl ? { CLAMAV_MIRROR_URL: props.mirrorUrl } : {}),
        CLAMAV_CUSTOM_DATABASE_URLS: settings.customDatabaseUrls.join(','),
        CLAMAV_OFFICIAL_DATABASES: settings.officialDatabases.join(','),
        ...props.statusEnvironment,
        DEFINITIONS_DOWNLOAD_TIMEOUT_MS: String(settings.budgets.definitionsDownload.toMilliseconds()),
        FRESHCLAM_TIMEOUT_MS: String(settings.budgets.freshclam.toMilliseconds()),
        DEFINITIONS_VERIFY_TIMEOUT_MS: String(settings.budgets.verify.toMilliseconds()),
        ...(props.rescans.length > 0
          ? {
              BULK_RESCAN_TARGETS: Stack.of(scope).toJsonString(
                props.rescans.map((target) => ({
                  bucket: target.bucket.bucketName,
                  prefix: target.prefix ?? '',
                  ...(settings.bulk.rescanWindow ? { window: settings.bulk.rescanWindow } : {}),
                })),
              ),
            }
          : {}),
      }),
    });
    props.definitions.grantPublish(this.role);
    props.definitions.grantImport(this.role);
    props.canary.grantWrite(this.role);
    // The canary's metrics, and nothing in another namespace.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );
  }
}
