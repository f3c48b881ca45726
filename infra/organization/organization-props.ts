/**
 * Scanning a whole AWS Organization from one hub (docs/organization.md): the LambdaAv stack in one
 * account scans objects in buckets of member accounts, which deploy `LambdaAvMember` (or its
 * plain CloudFormation template through a service-managed StackSet).
 */
export interface OrganizationProps {
  /**
   * The organization's id (`o-` and 10 to 32 lower-case letters and digits). The hub bus admits
   * events only from its accounts (`aws:PrincipalOrgID`), and the scanner may assume member roles
   * only in its accounts (`aws:ResourceOrgID`).
   */
  readonly organizationId: string;
  /**
   * The name of the role every member account gives the hub (LambdaAvMember's `roleName`).
   * @default 'lambda-av-member'
   */
  readonly memberRoleName?: string;
  /**
   * Import INFECTED and UNSCANNABLE results as Security Hub findings in the account that owns the
   * object (through its member role, which then needs `securityHubFindings` too).
   * @default false
   */
  readonly securityHubFindings?: boolean;
  /**
   * Member accounts' buckets the scheduled sweep checks too (when the stack sweeps), through
   * their member roles. Upload scans need no list here: member accounts forward their events.
   * @default none
   */
  readonly memberBuckets?: MemberBucket[];
}

/** A bucket of a member account. */
export interface MemberBucket {
  /** The member account that owns the bucket (12 digits). */
  readonly account: string;
  /** The bucket's name. */
  readonly bucketName: string;
}

export const DEFAULT_MEMBER_ROLE_NAME = 'lambda-av-member';

/** Organization ids as AWS Organizations documents them. */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
