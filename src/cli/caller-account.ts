import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

/**
 * The account the command's credentials act in: the account whose CloudWatch metrics, alarms and
 * stacks the command reads. GetCallerIdentity needs no permission, and an explicit deny does not
 * stop it (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 */
export async function callerAccount(sts: STSClient): Promise<string> {
  const { Account } = await sts.send(new GetCallerIdentityCommand({}));
  if (!Account) throw new Error('STS GetCallerIdentity answered without an Account');
  return Account;
}
