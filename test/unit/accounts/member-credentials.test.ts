import { S3Client } from '@aws-sdk/client-s3';
import type { AssumeRoleCommand, AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import { AccountClients } from '../../../src/accounts/account-clients';
import { MemberCredentials } from '../../../src/accounts/member-credentials';
import { MemberRoleError } from '../../../src/errors';

const organization = {
  hubAccount: '111111111111',
  partition: 'aws',
  memberRoleName: 'lambda-av-member',
  securityHub: false,
};

/** An STS stand-in answering AssumeRole with credentials that expire an hour after `now()`. */
function fakeSts(now: () => number, fail?: (roleArn: string) => Error | undefined) {
  const calls: string[] = [];
  return {
    calls,
    async send(command: AssumeRoleCommand): Promise<AssumeRoleCommandOutput> {
      const roleArn = command.input.RoleArn ?? '';
      calls.push(roleArn);
      const error = fail?.(roleArn);
      if (error) throw error;
      return {
        $metadata: {},
        Credentials: {
          AccessKeyId: `AK${calls.length}`,
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(now() + 3_600_000),
        },
      };
    },
  };
}

test("each account's role is assumed once and its credentials kept until five minutes before they expire", async () => {
  let clock = 0;
  const sts = fakeSts(() => clock);
  const credentials = new MemberCredentials({ organization, sts, now: () => clock });

  const first = await credentials.get('222222222222');
  await credentials.get('222222222222');
  await credentials.get('333333333333');
  clock += 3_600_000 - 5 * 60_000 - 1;
  const stillCached = await credentials.get('222222222222');
  clock += 2;
  const renewed = await credentials.get('222222222222');

  expect(sts.calls).toEqual([
    'arn:aws:iam::222222222222:role/lambda-av-member',
    'arn:aws:iam::333333333333:role/lambda-av-member',
    'arn:aws:iam::222222222222:role/lambda-av-member',
  ]);
  expect(stillCached.accessKeyId).toBe(first.accessKeyId);
  expect(renewed.accessKeyId).not.toBe(first.accessKeyId);
});

test('concurrent scans of one account share one AssumeRole', async () => {
  const sts = fakeSts(() => 0);
  const credentials = new MemberCredentials({ organization, sts, now: () => 0 });

  await Promise.all([credentials.get('222222222222'), credentials.get('222222222222')]);

  expect(sts.calls).toHaveLength(1);
});

test('a refused AssumeRole is a MemberRoleError naming the role, and is not kept: the next object tries again', async () => {
  let refuse = true;
  const denied = Object.assign(new Error('not authorized to perform sts:AssumeRole'), {
    name: 'AccessDenied',
  });
  const sts = fakeSts(
    () => 0,
    () => (refuse ? denied : undefined),
  );
  const credentials = new MemberCredentials({ organization, sts, now: () => 0 });

  const failure = await credentials.get('222222222222').catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(MemberRoleError);
  expect((failure as Error).message).toBe(
    'could not assume arn:aws:iam::222222222222:role/lambda-av-member: AccessDenied: not authorized to perform sts:AssumeRole',
  );
  refuse = false;
  await expect(credentials.get('222222222222')).resolves.toMatchObject({ accessKeyId: 'AK2' });
});

test('an account that is not twelve digits is refused before any AssumeRole', async () => {
  const sts = fakeSts(() => 0);
  const credentials = new MemberCredentials({ organization, sts });

  await expect(credentials.get('2222')).rejects.toThrow(MemberRoleError);
  expect(sts.calls).toEqual([]);
});

test("the hub's own account and a deployment without organization use the function's own client; a member account gets its own, built once", () => {
  const own = new S3Client({ region: 'us-east-1' });
  const built: Array<unknown> = [];
  const factory = (credentials?: unknown) => {
    built.push(credentials);
    return new S3Client({ region: 'us-east-1' });
  };
  const hub = new AccountClients({
    organization,
    s3: own,
    credentials: new MemberCredentials({ organization, sts: fakeSts(() => 0) }),
    s3Factory: factory,
  });
  const single = new AccountClients({ organization: undefined, s3: own });

  expect(hub.s3(undefined)).toBe(own);
  expect(hub.s3('111111111111')).toBe(own);
  const member = hub.s3('222222222222');
  expect(member).not.toBe(own);
  expect(hub.s3('222222222222')).toBe(member);
  expect(built).toHaveLength(1);
  expect(typeof built[0]).toBe('function');
  expect(single.s3('222222222222')).toBe(own);
  expect(single.accountOf('222222222222')).toBeUndefined();
  expect(hub.accountOf('222222222222')).toBe('222222222222');
});
