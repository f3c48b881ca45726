import { AssumeRoleCommand, type AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import type { OrganizationConfig } from '../config';
import { ACCOUNT_ID } from '../config';
import { MemberRoleError } from '../errors';

/** Temporary credentials of one member role, as the SDK clients take them. */
export interface MemberCredentialSet {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface MemberCredentialsOptions {
  readonly organization: OrganizationConfig;
  /** An STSClient, or anything that answers AssumeRole the same way. */
  readonly sts: { send(command: AssumeRoleCommand): Promise<AssumeRoleCommandOutput> };
  /** The clock, in milliseconds (tests move it past a renewal). */
  readonly now?: () => number;
  /**
   * Credentials are renewed this long before they expire, so that no scan starts with a set that
   * runs out while it streams a large object into clamd.
   * @default 5 minutes
   */
  readonly renewBeforeMs?: number;
}

/** One hour: the longest session AWS allows with role chaining, and the default for AssumeRole. */
const SESSION_SECONDS = 3600;

/**
 * The credentials of each member account's role, assumed with STS AssumeRole and kept per account
 * until shortly before they expire. One Lambda instance scans objects of many accounts: each
 * account costs one AssumeRole per hour or so, not one per object.
 *
 * The role is `arn:<partition>:iam::<account>:role/<memberRoleName>`: the account comes from the
 * event, which EventBridge stamps with the account that sent it; the sender cannot choose it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html). The member
 * role's trust policy admits only the hub's scanner role, and only while both are in the same
 * organization (`aws:PrincipalOrgID`): see infra/organization/member-role.ts.
 */
export class MemberCredentials {
  private readonly cache = new Map<string, Promise<MemberCredentialSet>>();
  private readonly now: () => number;
  private readonly renewBeforeMs: number;

  constructor(private readonly options: MemberCredentialsOptions) {
    this.now = options.now ?? Date.now;
    this.renewBeforeMs = options.renewBeforeMs ?? 5 * 60_000;
  }

  roleArn(account: string): string {
    const { partition, memberRoleName } = this.options.organization;
    return `arn:${partition}:iam::${account}:role/${memberRoleName}`;
  }

  /** The account's credentials: cached ones while they have time left, else a new AssumeRole. */
  async get(account: string): Promise<MemberCredentialSet> {
    if (!ACCOUNT_ID.test(account)) {
      throw new MemberRoleError(`${JSON.stringify(account)} is not an AWS account id (12 digits)`);
    }
    const cached = this.cache.get(account);
    if (cached) {
      const set = await cached.catch(() => undefined);
      if (set && set.expiration.getTime() - this.renewBeforeMs > this.now()) return set;
      if (this.cache.get(account) !== cached) return this.get(account); // another caller renewed it
    }
    const pending = this.assume(account);
    this.cache.set(account, pending);
    // A failure is not kept: the next object of the account tries again.
    pending.catch(() => {
      if (this.cache.get(account) === pending) this.cache.delete(account);
    });
    return pending;
  }

  private async assume(account: string): Promise<MemberCredentialSet> {
    const roleArn = this.roleArn(account);
    let response: AssumeRoleCommandOutput;
    try {
      response = await this.options.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `lambda-av-${this.options.organization.hubAccount}`,
          DurationSeconds: SESSION_SECONDS,
        }),
      );
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      throw new MemberRoleError(`could not assume ${roleArn}: ${name}: ${message}`, { cause: error });
    }
    const credentials = response.Credentials;
    if (
      !credentials?.AccessKeyId ||
      !credentials.SecretAccessKey ||
      !credentials.SessionToken ||
      !credentials.Expiration
    ) {
      throw new MemberRoleError(`STS answered AssumeRole for ${roleArn} without credentials`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  }
}
