import { Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { secretReference } from '../src/settings';
import { LambdaAvPropsError } from './errors';
import { quote } from './validation';

/** A JSON field name as a reference carries it: no `#`, `,` or white space (the list separators). */
const JSON_FIELD = /^[^#,\s]+$/;
/**
 * SSM parameter names: letters, digits and `_.-`, `/` between the levels of a hierarchy, and a
 * hierarchy's name begins with `/`; not prefixed with aws or ssm (PutParameter's naming constraints,
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
 */
const SSM_NAME = /^(?:[\w.-]+|(?:\/[\w.-]+)+)$/;
const SSM_RESERVED = /^\/?(?:aws|ssm)/i;

/**
 * A URL kept out of the template, because it carries a token: the updater reads it at the start
 * of each update run from Secrets Manager or from an SSM SecureString parameter. The function's
 * environment holds only where to read it (CLAMAV_MIRROR_URL_SECRET,
 * CLAMAV_CUSTOM_DATABASE_URL_SECRETS), and its role may read that secret or parameter and nothing
 * else. The value must be an http(s) URL; the updater checks it on every run.
 */
export class SecretUrl {
  /**
   * The secret's string is the URL, or with `jsonField` the secret is JSON and that field is.
   * The updater gets `secretsmanager:GetSecretValue` (and `DescribeSecret`) on this secret, and
   * `kms:Decrypt` through Secrets Manager when it is encrypted with a key of yours
   * (`secret.grantRead`).
   */
  static fromSecret(secret: secretsmanager.ISecret, jsonField?: string): SecretUrl {
    if (jsonField !== undefined && !JSON_FIELD.test(jsonField)) {
      throw new LambdaAvPropsError(
        `SecretUrl.fromSecret: jsonField may not hold #, a comma or white space, got ${quote(jsonField)}`,
      );
    }
    return new SecretUrl(secretReference('secretsmanager', secret.secretArn, jsonField), (grantee) => {
      secret.grantRead(grantee);
    });
  }

  /**
   * An SSM parameter of this stack's account and Region (a SecureString, which CloudFormation
   * cannot create: create it yourself and import it, say with
   * `ssm.StringParameter.fromSecureStringParameterAttributes`). The updater gets `ssm:GetParameter`
   * on it only, and `kms:Decrypt` on `encryptionKey` when it is a key of yours. Parameters
   * encrypted with the AWS managed key `aws/ssm` need no grant: that key's policy lets every
   * principal of the account decrypt with it
   * (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html).
   * @param encryptionKey the customer managed key the SecureString is encrypted with. @default aws/ssm
   */
  static fromSsmParameter(parameter: ssm.IParameter, encryptionKey?: kms.IKey): SecretUrl {
    return SecretUrl.ofParameter(parameter.parameterName, parameter.parameterArn, encryptionKey);
  }

  /**
   * An SSM parameter by name (`/lambda-av/mirror-url`, or `mirror-url` without a hierarchy), of
   * this stack's account and Region. As `fromSsmParameter`, without importing it first.
   * @param encryptionKey the customer managed key the SecureString is encrypted with. @default aws/ssm
   */
  static fromSsmParameterName(parameterName: string, encryptionKey?: kms.IKey): SecretUrl {
    if (Token.isUnresolved(parameterName)) {
      throw new LambdaAvPropsError(
        'SecretUrl.fromSsmParameterName needs a literal name (its ARN depends on a leading /): import the parameter and use fromSsmParameter',
      );
    }
    if (!SSM_NAME.test(parameterName) || SSM_RESERVED.test(parameterName) || parameterName.length > 1011) {
      throw new LambdaAvPropsError(
        `SecretUrl.fromSsmParameterName: ${quote(parameterName)} is not an SSM parameter name (letters, digits, _.- and / between levels, a hierarchy beginning with /, not prefixed with aws or ssm)`,
      );
    }
    // The ARN names the parameter without its leading slash: parameter/a/b for /a/b, parameter/a for a.
    const arn = `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter/${parameterName.replace(/^\//, '')}`;
    return SecretUrl.ofParameter(parameterName, arn, encryptionKey);
  }

  private static ofParameter(name: string, arn: string, encryptionKey: kms.IKey | undefined): SecretUrl {
    return new SecretUrl(secretReference('ssm', name), (grantee) => {
      iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter'], resourceArns: [arn] });
      encryptionKey?.grantDecrypt(grantee);
    });
  }

  /** Where the updater reads the URL: `secretsmanager:<ARN>[#<field>]` or `ssm:<name>`. */
  readonly reference: string;
  private readonly grant: (grantee: iam.IGrantable) => void;

  private constructor(reference: string, grant: (grantee: iam.IGrantable) => void) {
    this.reference = reference;
    this.grant = grant;
  }

  /** Lets `grantee` read the URL, and nothing else. */
  grantRead(grantee: iam.IGrantable): void {
    this.grant(grantee);
  }
}
