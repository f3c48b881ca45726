import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';

/**
 * SDK clients built the same way everywhere. Endpoints come from the SDK's own settings
 * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, ...), which is how local mode and the tests point
 * them at 127.0.0.1. Checksums are computed only where S3 requires them: S3-compatible servers
 * do not all understand the newer streaming checksums.
 */
export function createS3Client(
  options: { forcePathStyle?: boolean; credentials?: S3ClientConfig['credentials'] } = {},
): S3Client {
  return new S3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    forcePathStyle: options.forcePathStyle ?? false,
    // A member account's role (src/accounts/): absent, the function's own credentials.
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}

export function createLambdaClient(): LambdaClient {
  return new LambdaClient({});
}

/**
 * Step Functions. StartSyncExecution (Express machines) goes to a `sync-` prefixed host in AWS;
 * an endpoint of the user's (a local stand-in, say) has no such host, so the prefix is left off.
 */
export function createSfnClient(options: { endpointOverride?: string | undefined } = {}): SFNClient {
  return new SFNClient(options.endpointOverride ? { disableHostPrefix: true } : {});
}

export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({});
}
