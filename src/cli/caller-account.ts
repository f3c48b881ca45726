import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

/**
 * The account the command's credentials act in (STS GetCallerIdentity, which needs no
 * permission): the account whose CloudWatch metrics, alarms and stacks the command reads.
 */
export async function callerAccount(sts: STSClient): Promise<string> {
  const { Account } = await sts.send(new GetCallerIdentityCommand({}));
  if (!Account) throw new Error('STS GetCallerIdentity answered without an Account');
  return Account;
}
