import type { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { STSClient } from '@aws-sdk/client-sts';
import { createS3Client } from '../aws-clients';
import type { OrganizationConfig } from '../config';
import { type MemberCredentialSet, MemberCredentials } from './member-credentials';

/** Builds a client of one kind for a credential provider (undefined: the function's own role). */
export type ClientFactory<C> = (credentials?: () => Promise<MemberCredentialSet>) => C;

export interface AccountClientsOptions {
  /** Undefined: a deployment for its own account, where every object is its own. */
  readonly organization: OrganizationConfig | undefined;
  /** The S3 client of the function's own role (the hub's objects, definitions, reports). */
  readonly s3: S3Client;
  readonly credentials?: MemberCredentials;
  readonly s3Factory?: ClientFactory<S3Client>;
  readonly securityHubFactory?: ClientFactory<SecurityHubClient>;
}

/**
 * The SDK clients to use for an object's account: the function's own for its own account, and for
 * a member account clients whose credentials are that account's member role (cached per account
 * by MemberCredentials, renewed before they expire). Clients are built once per account.
 */
export class AccountClients {
  private readonly s3Clients = new Map<string, S3Client>();
  private readonly securityHubClients = new Map<string, SecurityHubClient>();
  private readonly credentials: MemberCredentials | undefined;

  constructor(private readonly options: AccountClientsOptions) {
    const { organization } = options;
    this.credentials =
      options.credentials ??
      (organization ? new MemberCredentials({ organization, sts: new STSClient({}) }) : undefined);
  }

  /**
   * The account a result names: the event's, on an organization hub; none in a deployment for its
   * own account, whose results stay as they always were.
   */
  accountOf(account: string | undefined): string | undefined {
    return this.options.organization === undefined ? undefined : account;
  }

  /** True when the object's account is not the deployment's own. */
  isMember(account: string | undefined): account is string {
    return (
      account !== undefined &&
      this.options.organization !== undefined &&
      account !== this.options.organization.hubAccount
    );
  }

  s3(account: string | undefined): S3Client {
    if (!this.isMember(account)) return this.options.s3;
    return this.memberClient(this.s3Clients, account, this.options.s3Factory ?? defaultS3Factory);
  }

  /** Security Hub in the object's account: findings from a custom integration are imported by their own account. */
  securityHub(account: string | undefined): SecurityHubClient {
    const factory = this.options.securityHubFactory ?? defaultSecurityHubFactory;
    if (!this.isMember(account)) {
      const own = this.securityHubClients.get('');
      if (own) return own;
      const client = factory();
      this.securityHubClients.set('', client);
      return client;
    }
    return this.memberClient(this.securityHubClients, account, factory);
  }

  private memberClient<C>(clients: Map<string, C>, account: string, factory: ClientFactory<C>): C {
    const existing = clients.get(account);
    if (existing) return existing;
    const { credentials } = this;
    if (!credentials) throw new Error('unreachable: a member account without an organization');
    const client = factory(() => credentials.get(account));
    clients.set(account, client);
    return client;
  }
}

const defaultS3Factory: ClientFactory<S3Client> = (credentials) =>
  createS3Client(credentials ? { credentials } : {});

const defaultSecurityHubFactory: ClientFactory<SecurityHubClient> = (credentials) =>
  new SecurityHubClient(credentials ? { credentials } : {});
