import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { OnInfected, ProcessingErrorThreshold } from '../../infra';
import {
  DIMENSION_STATUS,
  METRIC_CANARY_DETECTED,
  METRIC_CANARY_LATENCY,
  METRIC_DAEMON_STARTUP,
  METRIC_DEFINITIONS_AGE,
  METRIC_DEFINITIONS_MISSING,
  METRIC_SCAN_LATENCY,
  METRICS_NAMESPACE,
} from '../../src/metrics';
import { buildLambdaAv, logicalId } from './support';

const { stack, av, template } = buildLambdaAv(() => ({ alarmEmails: ['security@example.com'] }));
const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'));
const alarm = (construct: { node: { defaultChild?: unknown } }) =>
  template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, construct)]?.Properties;
const topicRef = { Ref: logicalId(stack, av.monitoring.alarmTopic as never) };
const service = { Name: 'service', Value: 'lambda-av' };

test('eleven alarms by default (no UNSCANNABLE alarm), each notifying the topic when it fires and when it clears', () => {
  expect(alarms).toHaveLength(11);
  expect(av.monitoring.unscannableAlarm).toBeUndefined();
  for (const [, { Properties }] of alarms) {
    expect(Properties.AlarmActions).toEqual([topicRef]);
    expect(Properties.OKActions).toEqual([topicRef]);
    expect(Properties.AlarmDescription).toContain('docs/runbook.md');
  }
});

test('definitions older than 24 hours raise an alarm; no age reported for two update intervals counts as old', () => {
  expect(alarm(av.monitoring.definitionsAgeAlarm)).toMatchObject({
    Namespace: METRICS_NAMESPACE,
    MetricName: METRIC_DEFINITIONS_AGE,
    Dimensions: [service],
    Statistic: 'Maximum',
    Period: 6 * 3600,
    Threshold: 24,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'breaching',
  });
});

test('a report that no definitions are published raises an alarm, cleared by an hour without one', () => {
  expect(alarm(av.monitoring.definitionsMissingAlarm)).toMatchObject({
    Namespace: METRICS_NAMESPACE,
    MetricName: METRIC_DEFINITIONS_MISSING,
    Dimensions: [service],
    Statistic: 'Sum',
    Period: 3600,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  });
});

test('failed or timed-out scan executions raise an alarm', () => {
  const failed = alarm(av.monitoring.scanExecutionsFailedAlarm);
  const inputs = failed?.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat);

  expect(failed).toMatchObject({
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  });
  expect(failed?.Metrics).toContainEqual(
    expect.objectContaining({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)' }),
  );
  expect(
    inputs
      .map((m: { MetricStat: { Metric: { MetricName: string } } }) => m.MetricStat.Metric.MetricName)
      .sort(),
  ).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
  for (const input of inputs) {
    expect(input.MetricStat.Metric).toMatchObject({
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack, av.scanStateMachine) } }],
    });
  }
});

test('the canary not detected, or not reporting for two update intervals, raises an alarm', () => {
  expect(alarm(av.monitoring.canaryAlarm)).toMatchObject({
    Namespace: METRICS_NAMESPACE,
    MetricName: METRIC_CANARY_DETECTED,
    Dimensions: [service],
    Statistic: 'Minimum',
    Period: 6 * 3600,
    Threshold: 1,
    ComparisonOperator: 'LessThanThreshold',
    TreatMissingData: 'breaching',
  });
});

test('a canary scan slower than 2 minutes raises an alarm', () => {
  expect(alarm(av.monitoring.canaryLatencyAlarm)).toMatchObject({
    Namespace: METRICS_NAMESPACE,
    MetricName: METRIC_CANARY_LATENCY,
    Dimensions: [service],
    Statistic: 'Maximum',
    Threshold: 120_000,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  });
});

test('more than 5 % PROCESSING_ERROR results in 15 minutes (from 10 scans up) raises an alarm', () => {
  const errors = alarm(av.monitoring.processingErrorsAlarm);
  const inputs = errors?.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat);

  expect(errors).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' });
  expect(errors?.Metrics).toContainEqual(
    expect.objectContaining({
      Expression: expect.stringMatching(
        /^IF\(\(FILL\(clean, 0\).*\) >= 10, 100 \* FILL\(errors, 0\) \/ \(.*\), 0\)$/,
      ),
    }),
  );
  expect(
    inputs
      .map(
        (m: {
          Id: string;
          MetricStat: { Metric: { Dimensions: Array<{ Value: string }> }; Period: number; Stat: string };
        }) => [m.Id, m.MetricStat.Metric.Dimensions[0]?.Value, m.MetricStat.Period, m.MetricStat.Stat],
      )
      .sort(),
  ).toEqual([
    ['clean', 'CLEAN', 900, 'SampleCount'],
    ['errors', 'PROCESSING_ERROR', 900, 'SampleCount'],
    ['infected', 'INFECTED', 900, 'SampleCount'],
    ['skipped', 'SKIPPED', 900, 'SampleCount'],
    ['unscannable', 'UNSCANNABLE', 900, 'SampleCount'],
  ]);
  // Every input counts in the total the share is taken of.
  const expression = errors?.Metrics.find((m: { Expression?: string }) => m.Expression).Expression as string;
  expect(expression).toContain(
    '(FILL(clean, 0) + FILL(infected, 0) + FILL(unscannable, 0) + FILL(skipped, 0) + FILL(errors, 0))',
  );
});

test('PROCESSING_ERROR results can alarm on a count instead', () => {
  const {
    stack: other,
    av: otherAv,
    template: otherTemplate,
  } = buildLambdaAv(() => ({
    processingErrorThreshold: ProcessingErrorThreshold.count(3),
  }));

  expect(
    otherTemplate.findResources('AWS::CloudWatch::Alarm')[
      logicalId(other, otherAv.monitoring.processingErrorsAlarm)
    ]?.Properties,
  ).toMatchObject({
    MetricName: METRIC_SCAN_LATENCY,
    Dimensions: [{ Name: DIMENSION_STATUS, Value: 'PROCESSING_ERROR' }, service],
    Statistic: 'SampleCount',
    Period: 900,
    Threshold: 3,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  });
});

test('failed update executions raise an alarm', () => {
  expect(alarm(av.monitoring.updateExecutionsFailedAlarm)).toMatchObject({
    Namespace: 'AWS/States',
    MetricName: 'ExecutionsFailed',
    Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack, av.updateStateMachine) } }],
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  });
});

test('scanner errors raise an alarm', () => {
  expect(alarm(av.monitoring.scannerErrorsAlarm)).toMatchObject({
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, av.scanner) } }],
    Statistic: 'Sum',
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  });
});

test('scan latency p99 above 60 s for 15 minutes raises an alarm, over every verdict that reads an object', () => {
  const latency = alarm(av.monitoring.scanLatencyAlarm);
  const inputs = latency?.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat);

  expect(latency).toMatchObject({
    Threshold: 60_000,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 3,
    DatapointsToAlarm: 3,
  });
  expect(latency?.Metrics).toContainEqual(
    expect.objectContaining({ Expression: expect.stringMatching(/^MAX\(/) }),
  );
  expect(
    inputs.map((m: { MetricStat: { Metric: { Dimensions: unknown } } }) => m.MetricStat.Metric.Dimensions),
  ).toEqual(
    ['CLEAN', 'INFECTED', 'UNSCANNABLE', 'PROCESSING_ERROR'].map((status) => [
      { Name: DIMENSION_STATUS, Value: status },
      service,
    ]),
  );
  for (const input of inputs) {
    expect(input.MetricStat).toMatchObject({
      Metric: { Namespace: METRICS_NAMESPACE, MetricName: METRIC_SCAN_LATENCY },
      Stat: 'p99',
      Period: 300,
    });
  }
});

test('an infected object raises an alarm; it counts INFECTED only, never UNSCANNABLE', () => {
  expect(alarm(av.monitoring.infectedAlarm)).toMatchObject({
    Namespace: METRICS_NAMESPACE,
    MetricName: METRIC_SCAN_LATENCY,
    Dimensions: [{ Name: DIMENSION_STATUS, Value: 'INFECTED' }, service],
    Statistic: 'SampleCount',
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  });
});

test('unscannableAlarmThreshold adds an alarm on UNSCANNABLE results in 15 minutes, and keeps every other alarm where it was', () => {
  const {
    stack: other,
    av: otherAv,
    template: otherTemplate,
  } = buildLambdaAv(() => ({ alarmEmails: ['security@example.com'], unscannableAlarmThreshold: 3 }));
  const otherAlarms = otherTemplate.findResources('AWS::CloudWatch::Alarm');
  const unscannable = otherAv.monitoring.unscannableAlarm;
  if (!unscannable) throw new Error('no UnscannableObjectsAlarm');

  expect(otherAlarms[logicalId(other, unscannable)]?.Properties).toMatchObject({
    AlarmName: expect.stringMatching(/-UnscannableObjectsAlarm$/),
    AlarmDescription: expect.stringContaining('docs/runbook.md'),
    Namespace: METRICS_NAMESPACE,
    MetricName: METRIC_SCAN_LATENCY,
    Dimensions: [{ Name: DIMENSION_STATUS, Value: 'UNSCANNABLE' }, service],
    Statistic: 'SampleCount',
    Period: 900,
    Threshold: 3,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: logicalId(other, otherAv.monitoring.alarmTopic as never) }],
  });
  // The logical IDs of the ten other alarms do not move.
  expect(Object.keys(otherAlarms).sort()).toEqual(
    [...alarms.map(([id]) => id), logicalId(other, unscannable)].sort(),
  );
});

test('thresholds by prop', () => {
  const {
    stack: other,
    av: otherAv,
    template: otherTemplate,
  } = buildLambdaAv(() => ({
    definitionsAgeThreshold: Duration.hours(48),
    scanLatencyThreshold: Duration.seconds(10),
    updateInterval: Duration.hours(12),
  }));
  const find = (construct: { node: { defaultChild?: unknown } }) =>
    otherTemplate.findResources('AWS::CloudWatch::Alarm')[logicalId(other, construct)]?.Properties;

  expect(find(otherAv.monitoring.definitionsAgeAlarm)).toMatchObject({ Threshold: 48, Period: 24 * 3600 });
  expect(find(otherAv.monitoring.scanLatencyAlarm)).toMatchObject({ Threshold: 10_000 });
});

test('the alarm topic is encrypted with a rotated key CloudWatch may use, and takes e-mail subscriptions', () => {
  template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  template.hasResourceProperties('AWS::KMS::Key', {
    EnableKeyRotation: true,
    KeyPolicy: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        }),
      ]),
    },
  });
  template.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'email',
    Endpoint: 'security@example.com',
    TopicArn: topicRef,
  });
});

describe('the alarm topic policy', () => {
  const [policyId, policy] = Object.entries(template.findResources('AWS::SNS::TopicPolicy'))[0] ?? [];
  const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as Array<Record<string, unknown>>;
  const publish = statements.find((s) => s.Sid === 'CloudWatchAlarmsPublish');
  type ArnCondition = { ArnLike: { 'aws:SourceArn': { 'Fn::Join': [string, unknown[]] } } };

  test('keeps TLS-only access', () => {
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  test('lets CloudWatch publish, only for this account and for alarms named by this construct', () => {
    expect(publish).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topicRef,
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    const pattern =
      (publish?.Condition as ArnCondition | undefined)?.ArnLike['aws:SourceArn']['Fn::Join'][1] ?? [];
    const suffix = pattern.at(-1) as string;
    expect(pattern).toEqual([
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      expect.stringMatching(/^:alarm:[\w-]+-\*$/),
    ]);
    const prefix = suffix.slice(':alarm:'.length, -1);
    for (const [, { Properties }] of alarms)
      expect(Properties.AlarmName).toMatch(new RegExp(`^${prefix}\\w+$`));
  });

  test('exists before any alarm, so no first notification is refused', () => {
    for (const [, resource] of alarms) expect(resource.DependsOn).toContain(policyId);
  });

  test('with a topic of your own, its policy is yours: nothing is added to it', () => {
    const own = buildLambdaAv((scope) => ({ alarmTopic: new sns.Topic(scope, 'Own') }));

    expect(Object.keys(own.template.findResources('AWS::SNS::TopicPolicy'))).toEqual([]);
  });
});

/** The dashboard's widgets: the body is a Fn::Join of JSON text and references, tokens stubbed out. */
function dashboardWidgets(): Array<{ type: string; properties: { title: string; metrics?: unknown[][] } }> {
  const body = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties
    .DashboardBody;
  const text = (body['Fn::Join'][1] as unknown[])
    .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
    .join('');
  return JSON.parse(text).widgets;
}

describe('the dashboard', () => {
  const widgets = dashboardWidgets();
  const graph = (title: string) => {
    const widget = widgets.find((w) => w.properties.title === title);
    if (!widget) throw new Error(`no widget ${title}`);
    // [namespace, name, dimension name, value, ..., {stat, label, ...}]
    return (widget.properties.metrics ?? []).map((metric) => ({
      id: metric.slice(0, -1).join(' '),
      stat: (metric[metric.length - 1] as { stat: string }).stat,
    }));
  };

  test('counts scans by status, UNSCANNABLE among them', () => {
    expect(graph('Scans by status')).toEqual(
      ['CLEAN', 'INFECTED', 'UNSCANNABLE', 'SKIPPED', 'PROCESSING_ERROR'].map((status) => ({
        id: `${METRICS_NAMESPACE} ${METRIC_SCAN_LATENCY} ${DIMENSION_STATUS} ${status} service lambda-av`,
        stat: 'SampleCount',
      })),
    );
  });

  test('plots scan latency percentiles', () => {
    const clean = `${METRICS_NAMESPACE} ${METRIC_SCAN_LATENCY} ${DIMENSION_STATUS} CLEAN service lambda-av`;

    expect(graph('Scan latency (ms)')).toEqual(
      expect.arrayContaining(['p50', 'p90', 'p99'].map((stat) => ({ id: clean, stat }))),
    );
  });

  test('plots the definitions age, and reports that none are published', () => {
    expect(graph('Definitions age (hours)')).toEqual([
      { id: `${METRICS_NAMESPACE} ${METRIC_DEFINITIONS_AGE} service lambda-av`, stat: 'Maximum' },
      { id: `${METRICS_NAMESPACE} ${METRIC_DEFINITIONS_MISSING} service lambda-av`, stat: 'Sum' },
    ]);
  });

  test('counts clamd cold starts', () => {
    expect(graph('clamd cold starts')).toEqual([
      { id: `${METRICS_NAMESPACE} ${METRIC_DAEMON_STARTUP} service lambda-av`, stat: 'SampleCount' },
    ]);
  });

  test('plots the daemon start-up time', () => {
    expect(graph('clamd start-up time (ms)')).toEqual([
      { id: `${METRICS_NAMESPACE} ${METRIC_DAEMON_STARTUP} service lambda-av`, stat: 'p50' },
      { id: `${METRICS_NAMESPACE} ${METRIC_DAEMON_STARTUP} service lambda-av`, stat: 'Maximum' },
    ]);
  });

  test('shows the canary and the PROCESSING_ERROR results', () => {
    expect(graph('Canary: detected (1) or not (0)')).toEqual([
      { id: `${METRICS_NAMESPACE} ${METRIC_CANARY_DETECTED} service lambda-av`, stat: 'Minimum' },
    ]);
    expect(graph('Canary scan latency (ms)')).toEqual([
      { id: `${METRICS_NAMESPACE} ${METRIC_CANARY_LATENCY} service lambda-av`, stat: 'Maximum' },
    ]);
    expect(graph('PROCESSING_ERROR results')).toEqual([
      {
        id: `${METRICS_NAMESPACE} ${METRIC_SCAN_LATENCY} ${DIMENSION_STATUS} PROCESSING_ERROR service lambda-av`,
        stat: 'SampleCount',
      },
    ]);
  });

  test('shows the UNSCANNABLE results apart', () => {
    expect(graph('UNSCANNABLE results')).toEqual([
      {
        id: `${METRICS_NAMESPACE} ${METRIC_SCAN_LATENCY} ${DIMENSION_STATUS} UNSCANNABLE service lambda-av`,
        stat: 'SampleCount',
      },
    ]);
  });

  test('shows every alarm', () => {
    const alarmWidget = widgets.find((w) => w.type === 'alarm') as
      | { properties: { alarms: unknown[] } }
      | undefined;

    expect(alarmWidget?.properties.alarms).toHaveLength(11);
  });
});

test('a failed bulk scan raises an alarm: its objects may be left unscanned', () => {
  expect(alarm(av.monitoring.bulkScanFailedAlarm as never)).toMatchObject({
    Namespace: 'AWS/States',
    MetricName: 'ExecutionsFailed',
    Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack, av.bulkScan.stateMachine) } }],
    Threshold: 1,
  });
});

test('every alarm notifies the alarm topic, those created with a scanned bucket (upload rule, actions, sweep) too', () => {
  const built = buildLambdaAv((stack) => ({
    scanBuckets: [
      {
        bucket: s3.Bucket.fromBucketName(stack, 'NotifyUploads', 'uploads'),
        onInfected: OnInfected.QUARANTINE,
      },
    ],
  }));
  const topic = { Ref: logicalId(built.stack, built.av.monitoring.alarmTopic as never) };

  const alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm'));
  const names = alarms.map((alarm) => String(alarm.Properties.AlarmName).replace(/^.*-(\w+Alarm.*)$/, '$1'));
  expect(names).toEqual(
    expect.arrayContaining([
      'UploadEventsDeadLettersAlarm',
      'UploadEventsLostAlarm-uploads',
      'InfectedActionsFailedAlarm',
      'InfectedActionDeadLettersAlarm',
      'SweepFoundUnscannedAlarm-uploads',
    ]),
  );
  for (const alarm of alarms) {
    expect({
      name: alarm.Properties.AlarmName,
      actions: alarm.Properties.AlarmActions,
      ok: alarm.Properties.OKActions,
    }).toEqual({
      name: alarm.Properties.AlarmName,
      actions: [topic],
      ok: [topic],
    });
  }
});
