import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { environmentOf } from '../src/settings';
import type { CanaryBucket } from './canary-bucket';
import type { DefinitionsBucket } from './definitions-bucket';
import { type FunctionPartProps, lambdaAvFunction, putLambdaAvMetrics } from './lambda-av-function';
import type { RescanTarget } from './lambda-av-props';

export interface UpdaterFunctionProps extends FunctionPartProps {
  /** Published by the updater alone. */
  readonly definitions: DefinitionsBucket;
  /** Where the canary's objects are written before the canary scans them. */
  readonly canary: CanaryBucket;
  /** @default ClamAV's own mirror */
  readonly mirrorUrl?: string;
  /** What the update workflow rescans after a new set is published. @default nothing */
  readonly rescans: readonly RescanTarget[];
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
    const made = lambdaAvFunction(scope, {
      ids: { logs: 'UpdaterLogs', role: 'UpdaterRole', function: 'Updater' },
      description: 'lambda-av updater: runs freshclam, verifies the set in ClamAV and publishes it',
      roleDescription: 'lambda-av updater: the only writer of the definitions prefix',
      handler: 'index.updateDefinitionsHandler',
      code: props.code,
      architecture: props.architecture,
      memorySize: settings.updaterMemorySize,
      timeout: settings.updaterTimeout,
      ephemeralStorageSize: settings.updaterEphemeralStorage,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: environmentOf({
        ...props.definitionsEnvironment,
        ...(props.mirrorUrl ? { CLAMAV_MIRROR_URL: props.mirrorUrl } : {}),
        CLAMAV_CUSTOM_DATABASE_URLS: settings.customDatabaseUrls.join(','),
        // Where the updater reads URLs carrying a token at run time: references, never the URLs.
        ...(settings.mirrorUrlSecret ? { CLAMAV_MIRROR_URL_SECRET: settings.mirrorUrlSecret.reference } : {}),
        ...(settings.customDatabaseUrlSecrets.length > 0
          ? {
              CLAMAV_CUSTOM_DATABASE_URL_SECRETS: settings.customDatabaseUrlSecrets
                .map((secret) => secret.reference)
                .join(','),
            }
          : {}),
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
                  ...(target.account ? { account: target.account } : {}),
                  prefix: target.prefix ?? '',
                  ...(settings.bulk.rescanWindow ? { window: settings.bulk.rescanWindow } : {}),
                })),
              ),
            }
          : {}),
      }),
    });
    this.function = made.function;
    this.role = made.role;
    props.definitions.grantPublish(this.role);
    props.definitions.grantImport(this.role);
    props.canary.grantWrite(this.role);
    // Each secret URL's secret or parameter, and nothing more.
    for (const secret of [settings.mirrorUrlSecret, ...settings.customDatabaseUrlSecrets]) {
      secret?.grantRead(this.role);
    }
    // The canary's metrics, and nothing in another namespace.
    this.role.addToPrincipalPolicy(putLambdaAvMetrics());
  }
}
