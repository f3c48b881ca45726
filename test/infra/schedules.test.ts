import { Duration } from 'aws-cdk-lib';
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

  test('the updater runs once at deploy time, synchronously, so a new stack has definitions before its first scan', () => {
    template.hasResourceProperties('Custom::Trigger', {
      HandlerArn: stack.resolve(av.updater.currentVersion.functionArn),
      InvocationType: 'RequestResponse',
      Timeout: '300000',
    });
  });

  test('the deploy-time update waits for the definitions bucket and its policy', () => {
    const trigger = Object.values(template.findResources('Custom::Trigger'))[0];

    expect(trigger?.DependsOn).toEqual(
      expect.arrayContaining([
        logicalId(stack, av.definitions.bucket as never),
        logicalId(stack, av.definitions.bucket.policy as never),
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

    template.resourceCountIs('Custom::Trigger', 0);
  });
});
