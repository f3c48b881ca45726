import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaAv, Sweep } from '../../infra';
import { readAppSettings } from '../../infra/context';
import { settleWindow } from '../../infra/sweep-settings';
import { buildLambdaAv, logicalId, standInCode, statementsOfRole, testApp } from './support';

// The scheduled sweep (issue 20, part 3): a schedule rule per bucket scanned on upload starts the
// bulk scan machine in its unscanned mode; the count it finds raises an alarm.

const twoBuckets = (extra: Record<string, unknown> = {}) =>
  buildLambdaAv((stack) => ({
    scanBuckets: [
      { bucket: new s3.Bucket(stack, 'Inbox') },
      { bucket: s3.Bucket.fromBucketName(stack, 'Uploads', 'uploads') },
      { bucket: s3.Bucket.fromBucketName(stack, 'Manual', 'manual'), scanOnUpload: false },
    ],
    ...extra,
  }));

type Rule = { Properties: { ScheduleExpression?: string; Targets: Array<Record<string, unknown>> } };

/** The rules whose target is the bulk scan state machine. */
function sweepRules(built: ReturnType<typeof buildLambdaAv>): Rule[] {
  const machine = logicalId(built.stack, built.av.bulkScan.stateMachine);
  return Object.values(built.template.findResources('AWS::Events::Rule') as Record<string, Rule>).filter(
    (rule) => rule.Properties.Targets.some((t) => JSON.stringify(t.Arn) === JSON.stringify({ Ref: machine })),
  );
}

function alarmsNamed(built: ReturnType<typeof buildLambdaAv>, fragment: string) {
  return Object.values(built.template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
    JSON.stringify(alarm.Properties.AlarmName).includes(fragment),
  );
}

describe('by default: a daily sweep of every bucket scanned on upload', () => {
  const built = twoBuckets();
  const rules = sweepRules(built);

  test('one schedule rule per bucket scanned on upload, from this stack or imported; none for a bucket without an event path', () => {
    expect(rules).toHaveLength(2);
    for (const rule of rules) expect(rule.Properties.ScheduleExpression).toBe('rate(1 day)');
    const inputs = rules.map((rule) => JSON.stringify(rule.Properties.Targets[0]?.Input));
    expect(
      inputs.some((input) =>
        input.includes(logicalId(built.stack, built.stack.node.findChild('Inbox') as never)),
      ),
    ).toBe(true);
    expect(inputs.some((input) => input.includes('manual'))).toBe(false);
  });

  test('the target input is an unscanned bulk scan, marked as the sweep, of objects older than the settle window', () => {
    const imported = rules.find((rule) =>
      JSON.stringify(rule.Properties.Targets[0]?.Input).includes('uploads'),
    );
    expect(JSON.parse(imported?.Properties.Targets[0]?.Input as string)).toEqual({
      bucket: 'uploads',
      mode: 'unscanned',
      // 2 x the 30-minute retry budget (full jitter's longest), the scanner's 8-minute timeout, 10 minutes' margin.
      modifiedBefore: 'PT78M',
      // The sweeps of all buckets start together: one batch each keeps a small account free.
      maxConcurrency: 1,
      sweep: true,
      trigger: 'sweep',
    });
  });

  test('EventBridge starts the executions with a role that may start the bulk scan machine and nothing else', () => {
    const roleArns = new Set(rules.map((rule) => JSON.stringify(rule.Properties.Targets[0]?.RoleArn)));
    expect(roleArns).toEqual(
      new Set([
        JSON.stringify({ 'Fn::GetAtt': [logicalId(built.stack, built.av.sweep?.role as never), 'Arn'] }),
      ]),
    );
    const role =
      built.template.findResources('AWS::IAM::Role')[logicalId(built.stack, built.av.sweep?.role as never)];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
      }),
    ]);
    expect(statementsOfRole(built.template, built.stack, built.av.sweep?.role)).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['states:StartExecution'],
        Resource: [{ Ref: logicalId(built.stack, built.av.bulkScan.stateMachine) }],
      }),
    ]);
  });

  test('the scanner may publish the count, in the LambdaAV namespace only', () => {
    const statements = statementsOfRole(built.template, built.stack, built.av.scanner.role);
    expect(statements.filter((s) => s.Action.includes('cloudwatch:PutMetricData'))).toEqual([
      expect.objectContaining({
        Resource: ['*'],
        Condition: { StringEquals: { 'cloudwatch:namespace': 'LambdaAV' } },
      }),
    ]);
  });

  test('a count above 0 raises an alarm per bucket, on the metric the sweep publishes, and notifies the alarm topic', () => {
    const [alarm] = alarmsNamed(built, 'SweepFoundUnscannedAlarm-uploads');
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'LambdaAV',
      MetricName: 'SweepUnscannedObjects',
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'lambda-av' },
        { Name: 'Bucket', Value: 'uploads' },
      ]),
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm?.Properties.Dimensions).toHaveLength(2);
    const topic = { Ref: logicalId(built.stack, built.av.monitoring.alarmTopic as never) };
    expect(alarm?.Properties.AlarmActions).toEqual([topic]);
    expect(alarm?.Properties.OKActions).toEqual([topic]);
    expect(alarmsNamed(built, 'SweepFoundUnscannedAlarm-')).toHaveLength(2);
  });

  test('a sweep EventBridge could not start raises an alarm on its rule FailedInvocations', () => {
    const [alarm] = alarmsNamed(built, 'SweepNotStartedAlarm-uploads');
    const rule = built.av.sweep?.rules.find((r) => r.node.id === 'Bucket-uploads');
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: logicalId(built.stack, rule as never) } }],
      Threshold: 1,
      AlarmActions: [{ Ref: logicalId(built.stack, built.av.monitoring.alarmTopic as never) }],
    });
  });
});

test('a bucket with an upload filter is swept with that filter: what its rule skips on purpose is not lost', () => {
  const built = buildLambdaAv((stack) => ({
    scanBuckets: [
      {
        bucket: s3.Bucket.fromBucketName(stack, 'Filtered', 'filtered'),
        filter: { prefixes: ['incoming/'], suffixes: ['.pdf'], maxSize: 1000 },
      },
    ],
  }));

  const [rule] = sweepRules(built);
  expect(JSON.parse(rule?.Properties.Targets[0]?.Input as string)).toMatchObject({
    bucket: 'filtered',
    filter: { prefixes: ['incoming/'], suffixes: ['.pdf'], maxSize: 1000 },
  });
});

test('sweep: Sweep.off(): no sweep rule, role, metric permission or alarm', () => {
  const built = twoBuckets({ sweep: Sweep.off() });

  expect(built.av.sweep).toBeUndefined();
  expect(sweepRules(built)).toEqual([]);
  expect(alarmsNamed(built, 'Sweep')).toEqual([]);
  const statements = statementsOfRole(built.template, built.stack, built.av.scanner.role);
  expect(statements.some((s) => s.Action.includes('cloudwatch:PutMetricData'))).toBe(false);
});

test('a custom schedule: a cron at a quiet hour', () => {
  const built = twoBuckets({ sweep: Sweep.onSchedule(events.Schedule.cron({ minute: '0', hour: '3' })) });

  expect(sweepRules(built).map((rule) => rule.Properties.ScheduleExpression)).toEqual([
    'cron(0 3 * * ? *)',
    'cron(0 3 * * ? *)',
  ]);
});

test('Sweep.daily({maxConcurrency}): more batches at once for each bucket, checked at synth', () => {
  // The input names a bucket of the stack by a token (Fn::Join): its text is checked.
  const inputs = sweepRules(twoBuckets({ sweep: Sweep.daily({ maxConcurrency: 4 }) })).map((rule) =>
    JSON.stringify(rule.Properties.Targets[0]?.Input),
  );

  expect(inputs).toHaveLength(2);
  for (const input of inputs) expect(input).toContain('\\"maxConcurrency\\":4');
  expect(() => twoBuckets({ sweep: Sweep.daily({ maxConcurrency: 0 }) })).toThrow(/sweep.maxConcurrency/);
  expect(() =>
    twoBuckets({
      sweep: Sweep.onSchedule(events.Schedule.cron({ hour: '3', minute: '0' }), { maxConcurrency: 0 }),
    }),
  ).toThrow(/sweep.maxConcurrency/);
});

test('a sweep more often than hourly is refused at synth', () => {
  expect(() => twoBuckets({ sweep: Sweep.onSchedule(events.Schedule.rate(Duration.minutes(30))) })).toThrow(
    'sweep.schedule must not run more often than every 1 hour (each sweep lists the whole bucket), got "rate(30 minutes)"',
  );
});

test('a bucket added after the constructor is swept, with its alarms', () => {
  const stack = new Stack(testApp(), 'Late');
  const av = new LambdaAv(stack, 'LambdaAv', { code: standInCode() });
  av.addScanBucket({ bucket: s3.Bucket.fromBucketName(stack, 'Late', 'late') });
  const template = Template.fromStack(stack);

  expect(av.sweep?.rules.map((rule) => rule.node.id)).toEqual(['Bucket-late']);
  expect(
    Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((alarm) => String(alarm.Properties.AlarmName))
      .filter((name) => name.includes('Sweep'))
      .map((name) => name.replace(/^.*-(Sweep)/, '$1'))
      .sort(),
  ).toEqual(['SweepFoundUnscannedAlarm-late', 'SweepNotStartedAlarm-late']);
});

describe('the settle window is derived from what bounds the event path', () => {
  test('Standard: twice the retry budget (the longest full jitter allows), one last attempt, a margin', () => {
    expect(
      settleWindow({ retryBudget: Duration.minutes(10), scannerTimeout: Duration.minutes(5) }).toMinutes(),
    ).toBe(2 * 10 + 5 + 10);
  });

  test('Express: every delivery of the upload event, a visibility timeout apart', () => {
    const window = settleWindow({
      retryBudget: Duration.minutes(30),
      expressQueue: { visibilityTimeout: Duration.seconds(330), maxReceiveCount: 6 },
      scannerTimeout: Duration.minutes(4),
    });
    expect(window.toMinutes()).toBe(Math.ceil((6 * 330 + 4 * 60 + 600) / 60));
  });

  test('a longer retry budget moves the window in the synthesized input', () => {
    const built = twoBuckets({ retryBudget: Duration.minutes(60) });
    const inputs = sweepRules(built).map((rule) => JSON.stringify(rule.Properties.Targets[0]?.Input));
    expect(inputs.every((input) => input.includes('PT138M'))).toBe(true);
  });
});

describe('context: sweepIntervalHours', () => {
  const read = (value: unknown) =>
    readAppSettings((key) => (key === 'sweepIntervalHours' ? value : undefined));

  test('0 turns the sweep off; a number of hours sets its rate', () => {
    expect(read('0').stackProps.lambdaAv?.sweep).toEqual(Sweep.off());
    expect(read('0').stackProps.lambdaAv?.sweep?.schedule).toBeUndefined();
    expect(read('6').stackProps.lambdaAv?.sweep?.schedule?.expressionString).toBe('rate(6 hours)');
  });

  test('a negative or over-a-week value is refused, naming the key', () => {
    expect(() => read('-1')).toThrow('context sweepIntervalHours must be');
    expect(() => read('200')).toThrow('context sweepIntervalHours must be');
  });
});
