import { BatchImportFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { AccountClients } from '../accounts/account-clients';
import type { OrganizationConfig } from '../config';
import { ResultPublishError } from '../errors';
import type { ScanResult, Verdict } from '../scan/contract';
import { FINDING_VERDICTS, securityHubFinding } from './security-hub-finding';

export interface SecurityHubPublisherOptions {
  /** Security Hub in the object's account (src/accounts/account-clients.ts). */
  readonly client: (account: string | undefined) => SecurityHubClient;
  /** The account of objects whose result names none: the deployment's own. */
  readonly hubAccount: string;
  readonly partition: string;
  /** Called once per finding that could not be imported. */
  readonly onFailure?: () => void;
}

/**
 * Imports INFECTED and UNSCANNABLE results as Security Hub findings, in the account that owns the
 * object, through that account's own credentials (BatchImportFindings with the default product
 * ARN must be called by the finding's account). The SDK retries throttled requests; a finding
 * Security Hub refuses (FailedFindings) is thrown as ResultPublishError, after the object's tags
 * were written: the verdict stands either way.
 */
export class SecurityHubPublisher {
  constructor(private readonly options: SecurityHubPublisherOptions) {}

  async publish(verdict: Verdict, result: ScanResult): Promise<void> {
    if (!FINDING_VERDICTS.includes(verdict)) return;
    const account = result.account ?? this.options.hubAccount;
    const client = this.options.client(result.account);
    const region = await client.config.region();
    const finding = securityHubFinding(
      verdict,
      result,
      { account, region, partition: this.options.partition },
      new Date(result.timestamp ?? Date.now()),
    );
    let problem: string | undefined;
    try {
      const response = await client.send(new BatchImportFindingsCommand({ Findings: [finding] }));
      const failed = response.FailedFindings?.[0];
      if (response.FailedCount || failed) {
        problem =
          `Security Hub refused the finding: ${failed?.ErrorCode ?? 'no code'} ${failed?.ErrorMessage ?? ''}`.trim();
      }
    } catch (error) {
      problem = `BatchImportFindings failed: ${(error as Error).name}: ${(error as Error).message}`;
    }
    if (problem === undefined) return;
    this.options.onFailure?.();
    throw new ResultPublishError(
      `could not import the finding of s3://${result.bucket}/${result.key} into Security Hub of account ${account}: ${problem}`,
    );
  }
}

/** The publisher an organization asks for (`securityHub: true`), or none. */
export function findingsPublisher(
  organization: OrganizationConfig | undefined,
  accounts: AccountClients,
): SecurityHubPublisher | undefined {
  if (!organization?.securityHub) return undefined;
  return new SecurityHubPublisher({
    client: (account) => accounts.securityHub(account),
    hubAccount: organization.hubAccount,
    partition: organization.partition,
  });
}
