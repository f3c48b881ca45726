import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { VERDICTS } from '../src/scan/contract';
import type { InfectedActions } from './infected-actions';
import {
  bulkObjectsMetric,
  canaryDetectedMetric,
  canaryLatencyMetric,
  daemonStartupMetric,
  definitionsAgeMetric,
  definitionsMissingMetric,
  scanLatencyMetric,
  sweepUnscannedMetric,
} from './metrics';
import type { ProcessingErrorThreshold } from './processing-error-threshold';

export interface LambdaAvMonitoringProps {
  /** The scanner function. */
  readonly scanner: lambda.IFunction;
  /** The updater function. */
  readonly updater: lambda.IFunction;
  /** The scan state machine. */
  readonly scanStateMachine: sfn.IStateMachine;
  /** The update state machine. */
  readonly updateStateMachine: sfn.IStateMachine;
  /** Where the alarms are sent. @default a new topic, encrypted with a new KMS key CloudWatch may use */
  readonly alarmTopic?: sns.ITopic;
  /** Addresses subscribed to the new topic. @default none */
  readonly alarmEmails?: string[];
  /** Age of the published definitions above which DefinitionsAgeAlarm fires. */
  readonly definitionsAgeThreshold: Duration;
  /** How often the update workflow runs. */
  readonly updateInterval: Duration;
  /** p99 scan latency above which ScanLatencyAlarm fires. */
  readonly scanLatencyThreshold: Duration;
  /** Slowest canary scan execution above which the canary latency alarm fires. */
  readonly canaryLatencyThreshold: Duration;
  /** PROCESSING_ERROR results that raise ProcessingErrorsAlarm. */
  readonly processingErrorThreshold: ProcessingErrorThreshold;
  /** With an Express scan machine: where upload events land after their last delivery. @default none (a Standard scan state machine) */
  readonly scanDeadLetterQueue?: sqs.IQueue;
  /**
   * With an Express scan machine: its queue, watched for messages nothing consumes (EventBridge
   * Pipes may have disabled the pipe).
   * @default no alarm (a Standard scan state machine)
   */
  readonly scanQueue?: ScanQueueMonitoring;
  /**
   * UNSCANNABLE results within 15 minutes that raise UnscannableObjectsAlarm.
   * @default no alarm
   */
  readonly unscannableAlarmThreshold?: number;
  /** Bulk scans: their state machine and the cap on their batches, shown beside the scanner's concurrency. @default no bulk scan figures on the dashboard */
  readonly bulkScan?: BulkScanMonitoring;
}

/** The Express scan queue, as ScanQueueAgeAlarm watches it. */
export interface ScanQueueMonitoring {
  /** The queue upload events wait in for the Express scan machine. */
  readonly queue: sqs.IQueue;
  /**
   * The oldest a message may legitimately get: its deliveries span the retry budget, plus one
   * visibility timeout. Older means nothing consumes the queue.
   */
  readonly maxMessageAge: Duration;
}

/** What the dashboard shows of bulk scans. */
export interface BulkScanMonitoring {
  /** The bulk scan state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** The cap on batches scanned at once. */
  readonly maxConcurrency: number;
  /** The scanner's reserved concurrency, which bulk scans share with upload scans. @default none */
  readonly reservedConcurrency?: number;
}

/** The period PROCESSING_ERROR results are counted over. */
const ERROR_PERIOD = Duration.minutes(15);
/** Below this many scans in the period, a share of errors means little. */
const ERROR_SHARE_MINIMUM_SCANS = 10;

/** Alarms go to one topic; the runbook has a section per alarm, by its ID: what it means and what to do. */
const RUNBOOK = 'See docs/runbook.md, the section named after this alarm.';

const FIVE_MINUTES = Duration.minutes(5);

/** Alarms and a dashboard over the scanner's EMF metrics and the Lambda and Step Functions metrics. */
export class LambdaAvMonitoring extends Construct {
  readonly alarmTopic: sns.ITopic;
  readonly definitionsAgeAlarm: cloudwatch.Alarm;
  readonly definitionsMissingAlarm: cloudwatch.Alarm;
  readonly canaryAlarm: cloudwatch.Alarm;
  readonly canaryLatencyAlarm: cloudwatch.Alarm;
  readonly processingErrorsAlarm: cloudwatch.Alarm;
  /** With an Express scan machine: upload events that were delivered for the last time and still failed. */
  readonly scanDeadLettersAlarm: cloudwatch.Alarm | undefined;
  /** With an Express scan machine: upload events waiting in its queue longer than their deliveries explain. */
  readonly scanQueueAgeAlarm: cloudwatch.Alarm | undefined;
  readonly scanExecutionsFailedAlarm: cloudwatch.Alarm;
  readonly updateExecutionsFailedAlarm: cloudwatch.Alarm;
  readonly scannerErrorsAlarm: cloudwatch.Alarm;
  readonly scanLatencyAlarm: cloudwatch.Alarm;
  readonly infectedAlarm: cloudwatch.Alarm;
  /** With `unscannableAlarmThreshold` only. */
  readonly unscannableAlarm: cloudwatch.Alarm | undefined;
  /** When a bucket quarantines or deletes infected objects: actions that failed, and rule deliveries given up. */
  infectedActionsFailedAlarm: cloudwatch.Alarm | undefined;
  infectedActionDeadLettersAlarm: cloudwatch.Alarm | undefined;
  /** Upload events in the upload rules' dead-letter queue: uploads that started no scan. */
  uploadDeadLettersAlarm: cloudwatch.Alarm | undefined;
  /** Per upload rule: events EventBridge could not deliver nor keep in the dead-letter queue. */
  readonly uploadEventsLostAlarms: cloudwatch.Alarm[] = [];
  /** A bulk scan failed: more failed batches than it tolerates, or its listing refused. */
  readonly bulkScanFailedAlarm: cloudwatch.Alarm | undefined;
  /** Per swept bucket: the sweep found objects without a verdict. */
  readonly sweepFoundUnscannedAlarms: cloudwatch.Alarm[] = [];
  /** Per swept bucket: EventBridge could not start the sweep. */
  readonly sweepNotStartedAlarms: cloudwatch.Alarm[] = [];
  /** Where alarms created after the constructor (a bucket added later) send their notifications. */
  private readonly alarmAction: actions.SnsAction;
  private readonly topicPolicy: IConstruct | undefined;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: LambdaAvMonitoringProps) {
    super(scope, id);
    this.alarmTopic = props.alarmTopic ?? this.createTopic(props.alarmEmails ?? []);
    this.alarmAction = new actions.SnsAction(this.alarmTopic);
    // The topic's policy must exist before an alarm first changes state (a new definitions-age
    // alarm may start in ALARM), or that first notification is refused and never retried.
    this.topicPolicy = props.alarmTopic ? undefined : this.alarmTopic.node.tryFindChild('Policy');

    const made = new Map<string, cloudwatch.Alarm>();
    for (const row of alarmTable(props)) made.set(row.id, this.create(row));
    const alarm = (id: string) => {
      const found = made.get(id);
      if (!found) throw new Error(`no alarm ${id} in the table`);
      return found;
    };
    this.definitionsAgeAlarm = alarm('DefinitionsAgeAlarm');
    this.definitionsMissingAlarm = alarm('DefinitionsMissingAlarm');
    this.canaryAlarm = alarm('CanaryAlarm');
    this.canaryLatencyAlarm = alarm('CanaryLatencyAlarm');
    this.processingErrorsAlarm = alarm('ProcessingErrorsAlarm');
    this.scanDeadLettersAlarm = made.get('ScanDeadLettersAlarm');
    this.scanQueueAgeAlarm = made.get('ScanQueueAgeAlarm');
    this.scanExecutionsFailedAlarm = alarm('ScanExecutionsFailedAlarm');
    this.updateExecutionsFailedAlarm = alarm('UpdateExecutionsFailedAlarm');
    this.scannerErrorsAlarm = alarm('ScannerErrorsAlarm');
    this.scanLatencyAlarm = alarm('ScanLatencyAlarm');
    this.infectedAlarm = alarm('InfectedObjectsAlarm');
    this.unscannableAlarm = made.get('UnscannableObjectsAlarm');
    this.bulkScanFailedAlarm = made.get('BulkScanExecutionsFailedAlarm');
    this.dashboard = this.createDashboard(props, [...made.values()]);
  }

  /**
   * Every alarm of this construct is named `<prefix><id>`, so the topic policy can name them all
   * by pattern without depending on the alarms (which would order the policy after them).
   */
  get alarmNamePrefix(): string {
    return `${Names.uniqueResourceName(this, { maxLength: 120, separator: '-' })}-`;
  }

  private alarmArnPattern(): string {
    const stack = Stack.of(this);
    return `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${this.alarmNamePrefix}*`;
  }

  /**
   * The actions workflow's alarms: an action that failed (the object stays where it is, tagged
   * INFECTED), and INFECTED results whose delivery to the workflow was given up after a day.
   */
  watchInfectedActions(workflow: InfectedActions): void {
    if (this.infectedActionsFailedAlarm) return;
    this.infectedActionsFailedAlarm = this.create(
      executionsFailedRow(
        'InfectedActionsFailedAlarm',
        workflow.stateMachine,
        'An action on an INFECTED object (quarantine or delete) failed: the object is still in its bucket, tagged INFECTED.',
      ),
    );
    this.infectedActionDeadLettersAlarm = this.create(
      deadLettersRow(
        'InfectedActionDeadLettersAlarm',
        workflow.deadLetterQueue,
        'INFECTED results could not be delivered to the actions workflow: their objects were not moved.',
      ),
    );
  }

  /**
   * An upload rule: its events lost outright (FailedInvocations: failed permanently and not
   * dead-lettered; InvocationsFailedToBeSentToDlq) raise an alarm, and so does anything in the
   * rules' dead-letter queue. Either way an upload started no scan.
   */
  watchUploadRule(rule: events.IRule, label: string, deadLetterQueue: sqs.IQueue): void {
    if (!this.uploadDeadLettersAlarm) {
      this.uploadDeadLettersAlarm = this.create(
        deadLettersRow(
          'UploadEventsDeadLettersAlarm',
          deadLetterQueue,
          'Upload events could not start a scan for a day and are in the dead-letter queue: their objects have no verdict.',
        ),
      );
    }
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName,
        dimensionsMap: { RuleName: rule.ruleName },
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.SUM,
      });
    const safe = label.replace(/[^A-Za-z0-9-]/g, '-');
    const lost = this.alarm(`UploadEventsLostAlarm-${safe}`, {
      alarmDescription: `Upload events of ${label} were dropped by EventBridge (failed and not kept in the dead-letter queue): their objects have no verdict. ${RUNBOOK}`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(notKept, 0)',
        usingMetrics: {
          failed: metric('FailedInvocations'),
          notKept: metric('InvocationsFailedToBeSentToDlq'),
        },
        period: FIVE_MINUTES,
        label: 'upload events lost',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.uploadEventsLostAlarms.push(lost);
    this.notify(lost);
  }

  /**
   * The scheduled sweep of a bucket: objects it found without a verdict (the event path lost
   * them; the sweep has scanned them since), and sweeps EventBridge could not start. A sweep that
   * started and failed raises BulkScanExecutionsFailedAlarm.
   */
  watchSweep(rule: events.IRule, bucketName: string, label: string): void {
    const safe = label.replace(/[^A-Za-z0-9-]/g, '-');
    const found = this.alarm(`SweepFoundUnscannedAlarm-${safe}`, {
      alarmDescription: `The scheduled sweep of ${label} found objects without a verdict: the event path lost their uploads (the sweep has scanned and tagged them). ${RUNBOOK}`,
      // One sample per sweep; an hour's window shows it, then the alarm goes back to OK by itself.
      metric: sweepUnscannedMetric(bucketName, cloudwatch.Stats.MAXIMUM, Duration.hours(1)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const notStarted = this.alarm(`SweepNotStartedAlarm-${safe}`, {
      alarmDescription: `EventBridge could not start the scheduled sweep of ${label} (FailedInvocations): it did not run. ${RUNBOOK}`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'FailedInvocations',
        dimensionsMap: { RuleName: rule.ruleName },
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.sweepFoundUnscannedAlarms.push(found);
    this.sweepNotStartedAlarms.push(notStarted);
    this.notify(found);
    this.notify(notStarted);
  }

  /** The alarm notifies the topic when it goes to ALARM and back to OK. */
  private notify(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(this.alarmAction);
    alarm.addOkAction(this.alarmAction);
    if (this.topicPolicy) alarm.node.addDependency(this.topicPolicy);
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, { ...props, alarmName: `${this.alarmNamePrefix}${id}` });
  }

  /** The alarm of a row of the table, notifying the topic. */
  private create(row: AlarmRow): cloudwatch.Alarm {
    const alarm = this.alarm(row.id, {
      alarmDescription: `${row.description} ${RUNBOOK}`,
      metric: row.metric,
      threshold: row.threshold,
      comparisonOperator: row.comparison,
      evaluationPeriods: row.evaluationPeriods ?? 1,
      ...(row.datapointsToAlarm !== undefined ? { datapointsToAlarm: row.datapointsToAlarm } : {}),
      treatMissingData: row.missingData,
    });
    this.notify(alarm);
    return alarm;
  }

  /**
   * Bulk scans: their executions, the objects their batches went through, and the scanner's
   * concurrency against the bulk cap (and the reserved concurrency upload scans share).
   */
  private addBulkWidgets(
    dashboard: cloudwatch.Dashboard,
    scanner: lambda.IFunction,
    bulk: NonNullable<LambdaAvMonitoringProps['bulkScan']>,
  ): void {
    const period = FIVE_MINUTES;
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Bulk scans',
        left: [
          bulk.stateMachine.metricStarted({ period, label: 'bulk scans started' }),
          bulk.stateMachine.metricSucceeded({ period, label: 'succeeded' }),
          bulk.stateMachine.metricFailed({ period, label: 'failed' }),
          bulk.stateMachine.metricAborted({ period, label: 'aborted' }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Bulk scan objects',
        left: [
          bulkObjectsMetric('SCANNED', period).with({ label: 'scanned (a verdict written)' }),
          bulkObjectsMetric('UNCHANGED', period).with({ label: 'left unchanged (mode, age, storage class)' }),
        ],
        stacked: true,
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Scanner concurrency',
        left: [
          scanner.metric('ConcurrentExecutions', {
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
            label: 'scanner instances busy (uploads and bulk)',
          }),
        ],
        leftAnnotations: [
          { value: bulk.maxConcurrency, label: 'bulk scan cap' },
          ...(bulk.reservedConcurrency !== undefined
            ? [{ value: bulk.reservedConcurrency, label: 'reserved concurrency' }]
            : []),
        ],
        width: 8,
      }),
    );
  }

  /**
   * Encrypted at rest (a customer managed key: CloudWatch cannot publish to a topic encrypted
   * with the AWS managed SNS key) and reachable over TLS only.
   */
  private createTopic(emails: readonly string[]): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the lambda-av alarm topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy, "*" means this key.
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'lambda-av alarms',
      masterKey: key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one: without this statement CloudWatch may not
    // publish, and every alarm action fails. Only this construct's alarms, in this account.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': this.alarmArnPattern() },
        },
      }),
    );
    for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }

  private createDashboard(props: LambdaAvMonitoringProps, alarms: cloudwatch.Alarm[]): cloudwatch.Dashboard {
    const period = FIVE_MINUTES;
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
    });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Scans by status',
        left: VERDICTS.map((verdict) =>
          scanLatencyMetric(verdict, cloudwatch.Stats.SAMPLE_COUNT, period).with({
            label: verdict,
          }),
        ),
        stacked: true,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Scan latency (ms)',
        left: [
          ...['p50', 'p90', 'p99'].map((stat) =>
            scanLatencyMetric('CLEAN', stat, period).with({ label: `CLEAN ${stat}` }),
          ),
          scanLatencyMetric('INFECTED', 'p99', period).with({ label: 'INFECTED p99' }),
          scanLatencyMetric('UNSCANNABLE', 'p99', period).with({ label: 'UNSCANNABLE p99' }),
          scanLatencyMetric('PROCESSING_ERROR', 'p99', period).with({
            label: 'PROCESSING_ERROR p99',
          }),
        ],
        leftAnnotations: [{ value: props.scanLatencyThreshold.toMilliseconds(), label: 'p99 alarm' }],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Definitions age (hours)',
        left: [definitionsAgeMetric(Duration.hours(1)).with({ label: 'definitions age (hours)' })],
        right: [definitionsMissingMetric(period).with({ label: 'no definitions published (reports)' })],
        leftAnnotations: [{ value: props.definitionsAgeThreshold.toHours(), label: 'alarm' }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'clamd cold starts',
        left: [daemonStartupMetric(cloudwatch.Stats.SAMPLE_COUNT, period).with({ label: 'cold starts' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'clamd start-up time (ms)',
        left: [
          daemonStartupMetric('p50', period).with({ label: 'p50' }),
          daemonStartupMetric(cloudwatch.Stats.MAXIMUM, period).with({ label: 'max' }),
        ],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Scanner Lambda',
        left: [
          props.scanner.metricInvocations({ period, statistic: cloudwatch.Stats.SUM }),
          props.scanner.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
          props.scanner.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
        ],
        right: [props.scanner.metricDuration({ period, statistic: 'p99' })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Executions',
        left: [
          props.scanStateMachine.metricStarted({ period, label: 'scans started' }),
          props.scanStateMachine.metricFailed({ period, label: 'scans failed' }),
          props.scanStateMachine.metricTimedOut({ period, label: 'scans timed out' }),
          props.updateStateMachine.metricSucceeded({ period, label: 'updates succeeded' }),
          props.updateStateMachine.metricFailed({ period, label: 'updates failed' }),
        ],
        width: 12,
      }),
    );
    const canaryPeriod = Duration.hours(1);
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Canary: detected (1) or not (0)',
        left: [canaryDetectedMetric(canaryPeriod).with({ label: 'CanaryDetected (minimum)' })],
        leftYAxis: { min: 0, max: 1 },
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Canary scan latency (ms)',
        left: [
          canaryLatencyMetric(cloudwatch.Stats.MAXIMUM, canaryPeriod).with({ label: 'slowest canary scan' }),
        ],
        leftAnnotations: [{ value: props.canaryLatencyThreshold.toMilliseconds(), label: 'alarm' }],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'PROCESSING_ERROR results',
        left: [
          scanLatencyMetric('PROCESSING_ERROR', cloudwatch.Stats.SAMPLE_COUNT, ERROR_PERIOD).with({
            label: 'PROCESSING_ERROR per 15 minutes',
          }),
        ],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'UNSCANNABLE results',
        left: [
          scanLatencyMetric('UNSCANNABLE', cloudwatch.Stats.SAMPLE_COUNT, ERROR_PERIOD).with({
            label: 'UNSCANNABLE per 15 minutes',
          }),
        ],
        ...(props.unscannableAlarmThreshold !== undefined
          ? { leftAnnotations: [{ value: props.unscannableAlarmThreshold, label: 'alarm' }] }
          : {}),
        width: 6,
      }),
    );
    if (props.bulkScan) this.addBulkWidgets(dashboard, props.scanner, props.bulkScan);
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 }));
    return dashboard;
  }
}

/**
 * One alarm: what it watches and when it fires. Every alarm is named `<prefix><id>` and notifies
 * the alarm topic when it goes to ALARM and back to OK; the runbook (docs/runbook.md)
 * says what each means.
 */
interface AlarmRow {
  readonly id: string;
  /** What the alarm means, without the runbook's pointer. */
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparison: cloudwatch.ComparisonOperator;
  readonly missingData: cloudwatch.TreatMissingData;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
}

const { GREATER_THAN_THRESHOLD, GREATER_THAN_OR_EQUAL_TO_THRESHOLD, LESS_THAN_THRESHOLD } =
  cloudwatch.ComparisonOperator;
const { BREACHING, NOT_BREACHING } = cloudwatch.TreatMissingData;

/**
 * The construct's own alarms, in the order the dashboard shows them; a row whose part is missing
 * (no Express queue, no unscannable threshold, no bulk scans) is left out.
 */
function alarmTable(props: LambdaAvMonitoringProps): AlarmRow[] {
  // The updater reports the age on each run; a window of two runs (at least an hour, CloudWatch
  // allows at most a day) holds at least one report. No report in it counts as stale: the
  // updater stopped running. The canary runs after every update attempt and always reports.
  const agePeriod = Duration.hours(
    Math.min(24, Math.max(1, Math.ceil((2 * props.updateInterval.toMinutes()) / 60))),
  );
  // An Express scan fails on purpose so that its message is delivered again (the retries):
  // there, only a timed-out execution is unexpected; the deliveries given up raise
  // ScanDeadLettersAlarm.
  const express = props.scanDeadLetterQueue !== undefined;
  const timedOut = props.scanStateMachine.metricTimedOut({
    period: FIVE_MINUTES,
    statistic: cloudwatch.Stats.SUM,
  });
  // Percentiles cannot be merged across the Status dimension: the latency alarm takes the worst
  // p99 of the verdicts that involve reading and scanning an object.
  const latencies = Object.fromEntries(
    (['CLEAN', 'INFECTED', 'UNSCANNABLE', 'PROCESSING_ERROR'] as const).map((verdict) => [
      verdict.toLowerCase(),
      scanLatencyMetric(verdict, cloudwatch.Stats.p(99), FIVE_MINUTES),
    ]),
  );
  const rows: Array<AlarmRow | undefined> = [
    {
      id: 'DefinitionsAgeAlarm',
      description: `The published ClamAV definitions are older than ${props.definitionsAgeThreshold.toHours()} hours, or no updater run reported their age for ${agePeriod.toHours()} hours.`,
      metric: definitionsAgeMetric(agePeriod),
      threshold: props.definitionsAgeThreshold.toHours(),
      comparison: GREATER_THAN_THRESHOLD,
      missingData: BREACHING,
    },
    {
      // The warmer reports it every few minutes, the updater on each run and every scan that
      // finds nothing to load; an hour without a report clears the alarm.
      id: 'DefinitionsMissingAlarm',
      description:
        'No ClamAV definitions are published: scanners have nothing to load, and scans wait, then end in PROCESSING_ERROR.',
      metric: definitionsMissingMetric(Duration.hours(1)),
      threshold: 1,
      comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      missingData: NOT_BREACHING,
    },
    {
      // Over two update intervals, a 0 or no report at all (the workflow stopped) raises it.
      id: 'CanaryAlarm',
      description: `The canary (EICAR and a clean object, scanned through the scan state machine after each update) was not detected, or reported nothing for ${agePeriod.toHours()} hours.`,
      metric: canaryDetectedMetric(agePeriod),
      threshold: 1,
      comparison: LESS_THAN_THRESHOLD,
      missingData: BREACHING,
    },
    {
      id: 'CanaryLatencyAlarm',
      description: `A canary scan execution took longer than ${props.canaryLatencyThreshold.toSeconds()} s from start to end.`,
      metric: canaryLatencyMetric(cloudwatch.Stats.MAXIMUM, agePeriod),
      threshold: props.canaryLatencyThreshold.toMilliseconds(),
      comparison: GREATER_THAN_THRESHOLD,
      missingData: NOT_BREACHING,
    },
    processingErrorsRow(props.processingErrorThreshold),
    props.scanDeadLetterQueue
      ? deadLettersRow(
          'ScanDeadLettersAlarm',
          props.scanDeadLetterQueue,
          'Upload events failed on every delivery to the Express scan machine: their objects are untagged.',
        )
      : undefined,
    props.scanQueue ? scanQueueAgeRow(props.scanQueue.queue, props.scanQueue.maxMessageAge) : undefined,
    {
      id: 'ScanExecutionsFailedAlarm',
      description: express
        ? 'An Express scan execution timed out: an object may be left without a verdict tag.'
        : 'A scan execution failed or timed out: an object may be left without a verdict tag.',
      metric: new cloudwatch.MathExpression({
        expression: express ? 'FILL(timedOut, 0)' : 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: express
          ? { timedOut }
          : {
              failed: props.scanStateMachine.metricFailed({
                period: FIVE_MINUTES,
                statistic: cloudwatch.Stats.SUM,
              }),
              timedOut,
            },
        period: FIVE_MINUTES,
        label: express ? 'scan executions timed out' : 'scan executions failed or timed out',
      }),
      threshold: 1,
      comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      missingData: NOT_BREACHING,
    },
    executionsFailedRow(
      'UpdateExecutionsFailedAlarm',
      props.updateStateMachine,
      'A definitions update failed; scanners keep the last good set.',
    ),
    {
      id: 'ScannerErrorsAlarm',
      description:
        'The scanner Lambda threw errors (clamd failed to start or died, bad events, configuration).',
      metric: props.scanner.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      missingData: NOT_BREACHING,
    },
    {
      id: 'ScanLatencyAlarm',
      description: `Scan latency p99 above ${props.scanLatencyThreshold.toMilliseconds()} ms for 15 minutes.`,
      metric: new cloudwatch.MathExpression({
        expression: `MAX([${Object.keys(latencies).join(', ')}])`,
        usingMetrics: latencies,
        period: FIVE_MINUTES,
        label: 'scan latency p99 (ms), worst verdict',
      }),
      threshold: props.scanLatencyThreshold.toMilliseconds(),
      comparison: GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      missingData: NOT_BREACHING,
    },
    {
      // Only detections: content that could not be scanned completely is UNSCANNABLE in the
      // metrics whatever UNSCANNABLE_POLICY tags it, and has an alarm of its own.
      id: 'InfectedObjectsAlarm',
      description: 'A scan found an infected object (tagged INFECTED).',
      metric: scanLatencyMetric('INFECTED', cloudwatch.Stats.SAMPLE_COUNT, FIVE_MINUTES),
      threshold: 1,
      comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      missingData: NOT_BREACHING,
    },
    props.unscannableAlarmThreshold === undefined
      ? undefined
      : {
          id: 'UnscannableObjectsAlarm',
          description: `At least ${props.unscannableAlarmThreshold} scans within 15 minutes could not scan an object completely (UNSCANNABLE: encrypted, over a limit, a format ClamAV skips).`,
          metric: scanLatencyMetric('UNSCANNABLE', cloudwatch.Stats.SAMPLE_COUNT, ERROR_PERIOD),
          threshold: props.unscannableAlarmThreshold,
          comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          missingData: NOT_BREACHING,
        },
    props.bulkScan
      ? executionsFailedRow(
          'BulkScanExecutionsFailedAlarm',
          props.bulkScan.stateMachine,
          'A bulk scan failed: more of its batches failed than it tolerates, or the bucket could not be listed; its objects may be left unscanned.',
        )
      : undefined,
  ];
  return rows.filter((row): row is AlarmRow => row !== undefined);
}

/**
 * PROCESSING_ERROR results over a share of all scans, or over a count, in 15 minutes. The share
 * is computed only from ERROR_SHARE_MINIMUM_SCANS scans up; verdicts count from their
 * ScanLatency samples.
 */
function processingErrorsRow(threshold: ProcessingErrorThreshold): AlarmRow {
  const count = (verdict: (typeof VERDICTS)[number]) =>
    scanLatencyMetric(verdict, cloudwatch.Stats.SAMPLE_COUNT, ERROR_PERIOD);
  if (threshold.scans !== undefined) {
    return {
      id: 'ProcessingErrorsAlarm',
      description: `At least ${threshold.scans} scans ended in PROCESSING_ERROR within 15 minutes.`,
      metric: count('PROCESSING_ERROR'),
      threshold: threshold.scans,
      comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      missingData: NOT_BREACHING,
    };
  }
  const percent = threshold.percentOfScans ?? 0;
  const total =
    'FILL(clean, 0) + FILL(infected, 0) + FILL(unscannable, 0) + FILL(skipped, 0) + FILL(errors, 0)';
  return {
    id: 'ProcessingErrorsAlarm',
    description: `More than ${percent} % of the scans (from ${ERROR_SHARE_MINIMUM_SCANS} scans up) ended in PROCESSING_ERROR within 15 minutes.`,
    metric: new cloudwatch.MathExpression({
      expression: `IF((${total}) >= ${ERROR_SHARE_MINIMUM_SCANS}, 100 * FILL(errors, 0) / (${total}), 0)`,
      usingMetrics: {
        clean: count('CLEAN'),
        infected: count('INFECTED'),
        unscannable: count('UNSCANNABLE'),
        skipped: count('SKIPPED'),
        errors: count('PROCESSING_ERROR'),
      },
      period: ERROR_PERIOD,
      label: 'PROCESSING_ERROR share of scans (%)',
    }),
    threshold: percent,
    comparison: GREATER_THAN_THRESHOLD,
    missingData: NOT_BREACHING,
  };
}

/** Any message in a dead-letter queue: `what` was given up on, and needs a look. */
function deadLettersRow(id: string, queue: sqs.IQueue, what: string): AlarmRow {
  return {
    id,
    description: what,
    metric: queue.metricApproximateNumberOfMessagesVisible({
      period: FIVE_MINUTES,
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 1,
    comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    missingData: NOT_BREACHING,
  };
}

function executionsFailedRow(id: string, machine: sfn.IStateMachine, what: string): AlarmRow {
  return {
    id,
    description: what,
    metric: machine.metricFailed({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
    threshold: 1,
    comparison: GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    missingData: NOT_BREACHING,
  };
}

/**
 * The Express scan queue's oldest message, older than its deliveries explain. EventBridge Pipes
 * can disable a pipe whose target keeps failing with 4xx errors; its messages then wait in the
 * queue until their retention ends and never reach the dead-letter queue, so no other alarm fires.
 */
function scanQueueAgeRow(queue: sqs.IQueue, maxMessageAge: Duration): AlarmRow {
  return {
    id: 'ScanQueueAgeAlarm',
    description: `Upload events have waited in the Express scan queue longer than ${maxMessageAge.toSeconds()} s (its retry budget and one visibility timeout): nothing is consuming it (a disabled or failing pipe), and the uploads are not scanned.`,
    metric: queue.metricApproximateAgeOfOldestMessage({
      period: FIVE_MINUTES,
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: maxMessageAge.toSeconds(),
    comparison: GREATER_THAN_THRESHOLD,
    missingData: NOT_BREACHING,
  };
}
