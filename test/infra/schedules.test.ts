import { Duration } from 'aws-cdk-lib';
import { OfficialDatabase } from '../../infra';
import { buildLambdaAv, logicalId } from './support';

describe('default schedules', () => {
  const { stack, av, template } = buildLambdaAv();
  const rules = Object.values(template.findResources('AWS::Events::Rule')).map((rule) => rule.Properties);

  test('the update workflow starts every 3 hours', () => {
    expect(rules).toContainEqual(
      expect.objectContaining({
        ScheduleExpression: 'rate(3 hours)',
        Targets: [
          expect.objectContaining({ Arn: { Ref: logicalId(stack, av.updateStateMachine) }, Input: '{}' }),
        ],
      }),
    );
  });

  test('the scanner gets {"warmer": true} every 5 minutes, without retries', () => {
    const warmer = rules.find((rule) => rule.ScheduleExpression === 'rate(5 minutes)');

    expect(warmer?.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(stack, av.scanner), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0 },
      }),
    ]);
    expect(JSON.parse(warmer?.Targets[0].Input)).toEqual({ warmer: true });
  });

  test('EventBridge may invoke the scanner for the warmer', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack, av.scanner), 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  /** The SDK call the deploy-time resource makes, its tokens written as `<Ref>`. */
  function deployCall(of = template): {
    service: string;
    action: string;
    parameters: Record<string, string>;
  } {
    const resource = Object.values(of.findResources('Custom::AWS'))[0];
    const parts = resource?.Properties.Create['Fn::Join'][1] as unknown[];
    return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : '<Ref>')).join(''));
  }

  test('a deployment starts the update workflow and does not wait for it, so no update can fail it', () => {
    const create = Object.values(template.findResources('Custom::AWS'))[0]?.Properties.Create;

    expect(deployCall()).toMatchObject({ service: 'SFN', action: 'startExecution' });
    expect(create['Fn::Join'][1]).toContainEqual({ Ref: logicalId(stack, av.updateStateMachine) });
    template.resourceCountIs('Custom::Trigger', 0);
  });

  test('the deploy-time start may start the update workflow, nothing else', () => {
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('AWS679f53fac002430cb0da5b7982bd2287'),
    );

    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: { Ref: logicalId(stack, av.updateStateMachine) },
      },
    ]);
  });

  test("the deploy-time input carries hashes of the updater's code and settings, so changing either starts an update", () => {
    const input = JSON.parse(deployCall().parameters.input as string);

    expect(input).toEqual({
      trigger: 'deploy',
      code: expect.stringMatching(/^[0-9a-f]{64}$/),
      settings: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const other = buildLambdaAv(() => ({
      officialDatabases: [OfficialDatabase.MAIN, OfficialDatabase.DAILY],
    }));
    const otherInput = JSON.parse(deployCall(other.template).parameters.input as string);
    expect(otherInput.code).toBe(input.code);
    expect(otherInput.settings).not.toBe(input.settings);
  });

  test('no setting of the updater reaches the deploy-time input: a mirror URL with a token stays out of the stack events and the execution input', () => {
    const secret = 'https://user:s3cr3t-token@mirror.example.com';
    const withMirror = buildLambdaAv(() => ({ mirrorUrl: secret }));
    const resource = Object.values(withMirror.template.findResources('Custom::AWS'))[0];

    expect(JSON.stringify(resource)).not.toContain('s3cr3t-token');
    expect(JSON.stringify(resource)).not.toContain('CLAMAV_');
  });

  test('the deploy-time update waits for the definitions bucket, its policy and the functions', () => {
    const resource = Object.values(template.findResources('Custom::AWS'))[0];

    expect(resource?.DependsOn).toEqual(
      expect.arrayContaining([
        logicalId(stack, av.definitions.bucket as never),
        logicalId(stack, av.definitions.bucket.policy as never),
        logicalId(stack, av.updater),
        logicalId(stack, av.scanner),
      ]),
    );
  });
});

describe('schedule options', () => {
  test('update interval by prop', () => {
    const { template } = buildLambdaAv(() => ({ updateInterval: Duration.hours(6) }));

    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
  });

  test('warmer interval by prop', () => {
    const { template } = buildLambdaAv(() => ({ warmerInterval: Duration.minutes(2) }));

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
      Targets: [{ Input: JSON.stringify({ warmer: true }) }],
    });
  });

  test('the warmer can be turned off', () => {
    const { template } = buildLambdaAv(() => ({ warmerEnabled: false }));

    const inputs = Object.values(template.findResources('AWS::Events::Rule')).flatMap((rule) =>
      rule.Properties.Targets.map((target: { Input?: string }) => target.Input),
    );
    expect(inputs).not.toContain(JSON.stringify({ warmer: true }));
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  test('the warmer targets the provisioned alias when there is one', () => {
    const { stack, av, template } = buildLambdaAv(() => ({ provisionedConcurrency: 1 }));

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [{ Arn: { Ref: logicalId(stack, av.scannerTarget as never) } }],
    });
  });

  test('the deploy-time update can be turned off', () => {
    const { template } = buildLambdaAv(() => ({ updateOnDeploy: false }));

    template.resourceCountIs('Custom::AWS', 0);
  });
});
