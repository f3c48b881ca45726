import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SecretReference } from '../config';
import { SecretUrlError } from '../errors';
import { describeReference, type SecretReader } from './secret-urls';

export interface AwsSecretReaderClients {
  readonly secretsManager?: SecretsManagerClient;
  readonly ssm?: SSMClient;
}

/**
 * Reads references from Secrets Manager (GetSecretValue) and SSM Parameter Store (GetParameter,
 * decrypted). Clients not given are built on first use, from the SDK's own settings
 * (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_SSM`, ...), like those of
 * src/aws-clients.ts. The two SDK packages are imported only then: every function shares one
 * bundle, and only an updater with a secret URL needs them, so no scanner's cold start loads them.
 */
export function awsSecretReader(clients: AwsSecretReaderClients = {}): SecretReader {
  let { secretsManager, ssm } = clients;
  return {
    async read(reference: SecretReference): Promise<string> {
      if (reference.service === 'ssm') {
        const { GetParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
        ssm ??= new SSMClient({});
        const response = await ssm.send(
          new GetParameterCommand({ Name: reference.id, WithDecryption: true }),
        );
        return present(reference, response.Parameter?.Value);
      }
      const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      secretsManager ??= new SecretsManagerClient({});
      const response = await secretsManager.send(new GetSecretValueCommand({ SecretId: reference.id }));
      return present(reference, response.SecretString);
    },
  };
}

function present(reference: SecretReference, value: string | undefined): string {
  if (value === undefined) {
    throw new SecretUrlError(`${describeReference(reference)} holds no text (a binary secret?)`);
  }
  return value;
}
