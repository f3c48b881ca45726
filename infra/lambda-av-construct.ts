import { ArnFormat, Duration, Lazy, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { InfectedAction } from '../src/config';
import { METRICS_NAMESPACE } from '../src/metrics';
import { aslDefinition, UPDATE_DEFINITION_FILE } from './asl-definition';
import { applyBlockReads } from './block-reads';
import { BulkScan } from './bulk-scan';
import { CanaryBucket } from './canary-bucket';
import { DefinitionsBucket } from './definitions-bucket';
import { ExpressScanQueue } from './express-scan-queue';
import { InfectedActions } from './infected-actions';
import type { LambdaAvProps, ScanBucket } from './lambda-av-props';
import { resolveSettings, SCAN_LOG_LEVEL, type Settings } from './lambda-av-settings';
import { lambdaCodeFromBuild } from './lambda-code';
import { LambdaAvMonitoring } from './monitoring';
import {
  addLambdaAvNagSuppressions,
  suppressAwsCustomResourceProvider,
  suppressBucketNotificationsHandler,
} from './nag-suppressions';
import { objectCreatedPattern } from './scan-filter';
import { Sweep } from './sweep';
import { checkBucketName, LambdaAvPropsError, quote } from './validation';

export type {
  BulkScanOptions,
  LambdaAvProps,
  ReloadStrategy,
  RescanTarget,
  ScanBucket,
  StatusValues,
  WorkflowType,
} from './lambda-av-props';

/**
 * lambda-av: ClamAV scanning of S3 objects with a memory-resident clamd on Lambda, orchestrated
 * by Step Functions. The scanner and updater functions, the definitions bucket, the scan and
 * update state machines (from `statemachine/*.asl.json`), their schedules, scan on upload, alarms
 * and a dashboard.
 */
export class LambdaAv extends Construct {
  readonly definitions: DefinitionsBucket;
  /** Where the update workflow's canary writes the objects it scans. */
  readonly canary: CanaryBucket;
  readonly scanner: lambda.Function;
  /** What the state machine and the warmer invoke: the `live` alias with provisioned concurrency, else the function. */
  readonly scannerTarget: lambda.IFunction;
  readonly updater: lambda.Function;
  readonly scanStateMachine: sfn.StateMachine;
  readonly updateStateMachine: sfn.StateMachine;
  readonly monitoring: LambdaAvMonitoring;
  readonly maxFileSize: number;
  readonly warmerRule: events.Rule | undefined;
  readonly updateRule: events.Rule;
  /** With `workflowType: 'EXPRESS'`: the queue and pipe in front of the scan state machine. */
  readonly scanQueue: ExpressScanQueue | undefined;
  /** Starts the update workflow when the stack is deployed (updateOnDeploy). */
  readonly updateOnDeploy: cr.AwsCustomResource | undefined;
  /** Where every final result is published ("Scan Result" events). */
  readonly resultEventBus: events.IEventBus;
  /** Upload events the rules could not deliver to the scan workflow for a day (first scanned bucket on upload). */
  uploadDeadLetterQueue: sqs.Queue | undefined;
  /** The rules that start a scan for each upload, by bucket. */
  readonly uploadRules: events.Rule[] = [];
  /** Scanning whole buckets: the bulk scan state machine and its reports. */
  readonly bulkScan: BulkScan;
  /** The scheduled sweep of the buckets scanned on upload, unless `sweep: false`. */
  readonly sweep: Sweep | undefined;
  /** The sweep's rules, by bucket (name, or construct id for a bucket of this stack). */
  private readonly sweptBuckets: Array<{ rule: events.Rule; bucketName: string; label: string }> = [];

  private readonly scanBucketNames = new Set<string>();
  /** Created when a scanned bucket first asks to quarantine or delete infected objects. */
  private actions: InfectedActions | undefined;
  private readonly infectedActions = new Map<string, InfectedAction>();
  private readonly settings: Settings;
  private readonly actionsProps: Omit<ConstructorParameters<typeof InfectedActions>[2], 'eventBus'>;

  constructor(scope: Construct, id: string, props: LambdaAvProps = {}) {
    super(scope, id);
    const settings = resolveSettings(props);
    this.settings = settings;
    this.maxFileSize = settings.maxFileSize;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const code = props.code ?? lambdaCodeFromBuild({ architecture });

    this.definitions = new DefinitionsBucket(this, 'Definitions', {
      prefix: settings.prefix,
      ...(props.definitionsBucket ? { bucket: props.definitionsBucket } : {}),
      ...(props.definitionsBucketKey ? { encryptionKey: props.definitionsBucketKey } : {}),
      ...(props.accessLogsBucket ? { accessLogsBucket: props.accessLogsBucket } : {}),
      removalPolicy,
    });
    this.canary = new CanaryBucket(this, 'Canary', { removalPolicy });
    const definitionsEnv = {
      CLAMAV_BUCKET_NAME: this.definitions.bucket.bucketName,
      PATH_TO_AV_DEFINITIONS: settings.prefix,
      CANARY_BUCKET_NAME: this.canary.bucket.bucketName,
    };
    // The scanner tags with these; the updater judges the canary's verdicts by them.
    const statusEnv = {
      FILE_STATUS_CLEAN: settings.statusNames.CLEAN,
      FILE_STATUS_INFECTED: settings.statusNames.INFECTED,
      FILE_STATUS_UNSCANNABLE: settings.statusNames.UNSCANNABLE,
      FILE_STATUS_SKIPPED: settings.statusNames.SKIPPED,
      FILE_STATUS_PROCESSING_ERROR: settings.statusNames.PROCESSING_ERROR,
    };

    // --- scanner ---------------------------------------------------------------------------
    const scannerLogs = new logs.LogGroup(this, 'ScannerLogs', { retention, removalPolicy });
    const scannerRole = new iam.Role(this, 'ScannerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'lambda-av scanner: reads the definitions, reads and tags the scanned buckets',
    });
    scannerLogs.grantWrite(scannerRole);
    this.scanner = new lambda.Function(this, 'Scanner', {
      description: 'lambda-av scanner: streams S3 objects into a memory-resident clamd and tags them',
      code,
      handler: 'index.scanFileHandler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture,
      memorySize: settings.scannerMemorySize,
      timeout: settings.scannerTimeout,
      ephemeralStorageSize: settings.scannerEphemeralStorage,
      role: scannerRole,
      logGroup: scannerLogs,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      environment: {
        ...definitionsEnv,
        MAX_FILE_SIZE: String(settings.maxFileSize),
        DEFINITIONS_DOWNLOAD_TIMEOUT_MS: String(settings.budgets.definitionsDownload.toMilliseconds()),
        CLAMD_START_TIMEOUT_MS: String(settings.budgets.daemonStart.toMilliseconds()),
        CLAMD_SCAN_TIMEOUT_MS: String(settings.budgets.scan.toMilliseconds()),
        WARM_CONCURRENCY: String(settings.warmConcurrency),
        DEFINITIONS_CHECK_INTERVAL: String(settings.definitionsCheckSeconds),
        CLAMD_RELOAD_STRATEGY: props.reloadStrategy ?? 'auto',
        ...statusEnv,
        UNSCANNABLE_POLICY: settings.unscannablePolicy,
        METADATA_FILE_STATUS: settings.statusTagKey,
        METADATA_FILE_TIMESTAMP: settings.timestampTagKey,
      },
    });
    // Every final result is published: the default bus unless the stack is given one.
    this.resultEventBus =
      props.resultEventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    this.scanner.addEnvironment('RESULT_EVENT_BUS', this.resultEventBus.eventBusName);
    this.resultEventBus.grantPutEventsTo(scannerRole);
    this.definitions.grantRead(scannerRole);
    this.scannerTarget =
      props.provisionedConcurrency !== undefined
        ? this.scanner.addAlias('live', { provisionedConcurrentExecutions: props.provisionedConcurrency })
        : this.scanner;
    if (settings.warmConcurrency > 1) this.grantSelfInvoke(scannerRole);

    // --- bulk scans --------------------------------------------------------------------------
    this.bulkScan = new BulkScan(this, 'BulkScan', {
      scanner: this.scanner,
      maxConcurrency: settings.bulk.maxConcurrency,
      batchSize: settings.bulk.batchSize,
      reportRetention: settings.bulk.reportRetention,
      logRetention: retention,
      removalPolicy,
    });
    for (const bucket of props.bulkScan?.inventoryBuckets ?? []) this.bulkScan.addInventoryBucket(bucket);
    const rescans = props.bulkScan?.rescanAfterUpdate?.targets ?? [];
    if (settings.sweep) {
      this.sweep = new Sweep(this, 'Sweep', {
        bulkScan: this.bulkScan.stateMachine,
        settings: settings.sweep,
      });
      // The sweep's count (the Summarise task, src/bulk/sweep-metrics.ts), in LambdaAV only.
      scannerRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
        }),
      );
    }

    // --- updater ---------------------------------------------------------------------------
    const updaterLogs = new logs.LogGroup(this, 'UpdaterLogs', { retention, removalPolicy });
    const updaterRole = new iam.Role(this, 'UpdaterRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'lambda-av updater: the only writer of the definitions prefix',
    });
    updaterLogs.grantWrite(updaterRole);
    this.updater = new lambda.Function(this, 'Updater', {
      description: 'lambda-av updater: runs freshclam, verifies the set in ClamAV and publishes it',
      code,
      handler: 'index.updateDefinitionsHandler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture,
      memorySize: settings.updaterMemorySize,
      timeout: settings.updaterTimeout,
      ephemeralStorageSize: settings.updaterEphemeralStorage,
      role: updaterRole,
      logGroup: updaterLogs,
      environment: {
        ...definitionsEnv,
        ...(props.mirrorUrl ? { CLAMAV_MIRROR_URL: props.mirrorUrl } : {}),
        CLAMAV_CUSTOM_DATABASE_URLS: settings.customDatabaseUrls.join(','),
        CLAMAV_OFFICIAL_DATABASES: settings.officialDatabases.join(','),
        ...statusEnv,
        DEFINITIONS_DOWNLOAD_TIMEOUT_MS: String(settings.budgets.definitionsDownload.toMilliseconds()),
        FRESHCLAM_TIMEOUT_MS: String(settings.budgets.freshclam.toMilliseconds()),
        DEFINITIONS_VERIFY_TIMEOUT_MS: String(settings.budgets.verify.toMilliseconds()),
        ...(rescans.length > 0
          ? {
              BULK_RESCAN_TARGETS: Stack.of(this).toJsonString(
                rescans.map((target) => ({
                  bucket: target.bucket.bucketName,
                  prefix: target.prefix ?? '',
                  ...(settings.bulk.rescanWindow ? { window: settings.bulk.rescanWindow } : {}),
                })),
              ),
            }
          : {}),
      },
    });
    this.definitions.grantPublish(updaterRole);
    this.definitions.grantImport(updaterRole);
    this.canary.grantWrite(updaterRole);
    // The canary's metrics, and nothing in another namespace.
    updaterRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );

    // --- state machines ----------------------------------------------------------------------
    const express = settings.expressQueue;
    this.scanStateMachine = new sfn.StateMachine(this, 'ScanStateMachine', {
      comment: 'lambda-av: scan one S3 object and tag it',
      stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      ...aslDefinition(
        settings.scanDefinitionFile,
        {
          ScannerFunctionArn: this.scannerTarget.functionArn,
          MaxFileSize: String(settings.maxFileSize),
          ...(express ? { MaxReceiveCount: String(express.maxReceiveCount) } : {}),
        },
        { retryBudgetSeconds: settings.retryBudget.toSeconds() },
      ),
      logs: {
        destination: this.stateMachineLogGroup('ScanStateMachineLogs', retention, removalPolicy),
        level: sfn.LogLevel[SCAN_LOG_LEVEL[settings.workflowType]],
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });
    // Scan, TagSkipped and TagProcessingError invoke exactly this ARN.
    this.scanStateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.scannerTarget.functionArn],
      }),
    );

    this.updateStateMachine = new sfn.StateMachine(this, 'UpdateStateMachine', {
      comment: 'lambda-av: update, verify and publish the ClamAV definitions',
      stateMachineType: sfn.StateMachineType.STANDARD,
      ...aslDefinition(UPDATE_DEFINITION_FILE, {
        UpdaterFunctionArn: this.updater.functionArn,
        ScanStateMachineArn: this.scanStateMachine.stateMachineArn,
        // An Express machine answers synchronously (StartSyncExecution); a Standard one is
        // followed to its end (startExecution.sync:2).
        CanaryScanResource: express
          ? 'arn:aws:states:::aws-sdk:sfn:startSyncExecution'
          : 'arn:aws:states:::states:startExecution.sync:2',
        BulkScanStateMachineArn: this.bulkScan.stateMachine.stateMachineArn,
      }),
      logs: {
        destination: this.stateMachineLogGroup('UpdateStateMachineLogs', retention, removalPolicy),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });
    this.updateStateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.updater.functionArn] }),
    );
    this.grantCanaryScans(express !== undefined);
    // The rescans after new definitions: started, not waited for.
    if (rescans.length > 0) this.bulkScan.grantStart(this.updateStateMachine);
    if (express) {
      this.scanQueue = new ExpressScanQueue(this, 'ScanQueue', {
        stateMachine: this.scanStateMachine,
        visibilityTimeout: express.visibilityTimeout,
        maxReceiveCount: express.maxReceiveCount,
        removalPolicy,
      });
    }
    this.grantScan(this.canary.bucket);

    // --- schedules ----------------------------------------------------------------------------
    this.updateRule = new events.Rule(this, 'UpdateSchedule', {
      description: 'lambda-av: update the ClamAV definitions',
      schedule: events.Schedule.rate(settings.updateInterval),
      targets: [
        new targets.SfnStateMachine(this.updateStateMachine, {
          input: events.RuleTargetInput.fromObject({}),
        }),
      ],
    });
    if (props.warmerEnabled ?? true) {
      this.warmerRule = new events.Rule(this, 'WarmerSchedule', {
        description: `lambda-av: keep ${settings.warmConcurrency} scanner instance(s) warm`,
        schedule: events.Schedule.rate(settings.warmerInterval),
        targets: [
          new targets.LambdaFunction(this.scannerTarget, {
            event: events.RuleTargetInput.fromObject({ warmer: true }),
            // A missed warm-up is replaced by the next one; retrying it late only adds load.
            retryAttempts: 0,
          }),
        ],
      });
    }
    if (props.updateOnDeploy ?? true) this.updateOnDeploy = this.startUpdateOnDeploy();

    // --- scanned buckets -----------------------------------------------------------------------
    this.actionsProps = {
      code,
      architecture,
      environment: {
        CLAMAV_BUCKET_NAME: this.definitions.bucket.bucketName,
        ...statusEnv,
        UNSCANNABLE_POLICY: settings.unscannablePolicy,
        METADATA_FILE_STATUS: settings.statusTagKey,
        METADATA_FILE_TIMESTAMP: settings.timestampTagKey,
      },
      quarantineRetention: settings.quarantineRetention,
      ...(props.quarantineReadRole ? { quarantineReadRole: props.quarantineReadRole } : {}),
      ...(this.definitions.accessLogsBucket ? { accessLogsBucket: this.definitions.accessLogsBucket } : {}),
      removalPolicy,
      logRetention: retention,
      stateMachineLogGroup: (id) => this.stateMachineLogGroup(id, retention, removalPolicy),
    };
    for (const scanBucket of props.scanBuckets ?? []) this.addScanBucket(scanBucket);
    for (const [i, target] of rescans.entries()) {
      const scanned = (props.scanBuckets ?? []).some(
        (scan) =>
          scan.bucket === target.bucket ||
          (!Token.isUnresolved(target.bucket.bucketName) &&
            scan.bucket.bucketName === target.bucket.bucketName),
      );
      if (!scanned) {
        throw new LambdaAvPropsError(
          `bulkScan.rescanAfterUpdate.targets[${i}].bucket ${quote(target.bucket.bucketName)} must be one of scanBuckets: only those may be read and tagged`,
        );
      }
    }

    // --- monitoring ----------------------------------------------------------------------------
    this.monitoring = new LambdaAvMonitoring(this, 'Monitoring', {
      scanner: this.scanner,
      updater: this.updater,
      scanStateMachine: this.scanStateMachine,
      updateStateMachine: this.updateStateMachine,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      ...(props.alarmEmails ? { alarmEmails: props.alarmEmails } : {}),
      definitionsAgeThreshold: settings.definitionsAgeThreshold,
      updateInterval: settings.updateInterval,
      scanLatencyThreshold: settings.scanLatencyThreshold,
      canaryLatencyThreshold: settings.canaryLatencyThreshold,
      processingErrorThreshold: settings.processingErrorThreshold,
      ...(this.scanQueue ? { scanDeadLetterQueue: this.scanQueue.deadLetterQueue } : {}),
      ...(settings.unscannableAlarmThreshold !== undefined
        ? { unscannableAlarmThreshold: settings.unscannableAlarmThreshold }
        : {}),
      bulkScan: {
        stateMachine: this.bulkScan.stateMachine,
        maxConcurrency: settings.bulk.maxConcurrency,
        ...(props.reservedConcurrency !== undefined
          ? { reservedConcurrency: props.reservedConcurrency }
          : {}),
      },
    });
    if (this.actions) this.monitoring.watchInfectedActions(this.actions);
    for (const swept of this.sweptBuckets) {
      this.monitoring.watchSweep(swept.rule, swept.bucketName, swept.label);
    }
    for (const rule of this.uploadRules) {
      this.monitoring.watchUploadRule(
        rule,
        rule.node.id.replace(/^ScanOnUpload-/, ''),
        this.uploadDeadLetters(),
      );
    }

    addLambdaAvNagSuppressions(this);
  }

  /** The actions workflow, with its function and (for quarantine) bucket, if any bucket acts on infected objects. */
  get infectedActionsWorkflow(): InfectedActions | undefined {
    return this.actions;
  }

  /**
   * Lets lambda-av scan a bucket: the scanner may read and tag its objects (and decrypt them with
   * `kmsKeyArn`), the scan state machine may read their metadata; with `scanOnUpload` (default)
   * every created object starts a scan execution.
   */
  addScanBucket(scanBucket: ScanBucket): void {
    const { bucket } = scanBucket;
    const name = bucket.bucketName;
    if (!Token.isUnresolved(name)) {
      checkBucketName('scanBuckets[].bucket', name);
      if (this.scanBucketNames.has(name)) {
        throw new LambdaAvPropsError(`scanBuckets names bucket ${quote(name)} more than once`);
      }
      if (
        !Token.isUnresolved(this.definitions.bucket.bucketName) &&
        name === this.definitions.bucket.bucketName
      ) {
        throw new LambdaAvPropsError(
          `scanBuckets must not include the definitions bucket ${quote(name)}: only the updater may write there`,
        );
      }
      this.scanBucketNames.add(name);
    }
    if (bucket === this.definitions.bucket) {
      throw new LambdaAvPropsError(
        'scanBuckets must not include the definitions bucket: only the updater may write there',
      );
    }
    if (scanBucket.kmsKeyArn !== undefined && !Token.isUnresolved(scanBucket.kmsKeyArn)) {
      if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(scanBucket.kmsKeyArn)) {
        throw new LambdaAvPropsError(
          `scanBuckets[${quote(name)}].kmsKeyArn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got ${quote(scanBucket.kmsKeyArn)}`,
        );
      }
    }
    this.grantScan(bucket, scanBucket.kmsKeyArn);
    this.bulkScan.addBucket(bucket);
    const action = scanBucket.onInfected ?? 'tag';
    if (!['tag', 'quarantine', 'delete'].includes(action)) {
      throw new LambdaAvPropsError(
        `scanBuckets[${quote(name)}].onInfected must be tag, quarantine or delete, got ${quote(action)}`,
      );
    }
    if (action !== 'tag') this.actOnInfected(bucket, action, scanBucket.kmsKeyArn);
    if (scanBucket.blockReadsUntilClean) this.blockReads(scanBucket);

    if (scanBucket.scanOnUpload ?? true) {
      if (scanBucket.eventBridgeNotifications ?? true) {
        // S3 sends "Object Created" to EventBridge only when the bucket says so. For a bucket
        // of another stack, CDK's notifications custom resource keeps the bucket's existing
        // topic, queue and Lambda notifications and adds EventBridge (docs/deploy.md).
        bucket.enableEventBridgeNotification();
        suppressBucketNotificationsHandler(this);
      }
      const id = Token.isUnresolved(name) ? Names.nodeUniqueId(bucket.node) : name;
      // EventBridge retries a delivery that fails (throttling, a missing permission) for a day,
      // then leaves the event in the dead-letter queue instead of dropping it.
      const delivery = {
        deadLetterQueue: this.uploadDeadLetters(),
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      };
      const rule = new events.Rule(this, `ScanOnUpload-${id}`, {
        description: scanBucket.filter
          ? 'lambda-av: scan the objects created in the bucket that pass its filter'
          : 'lambda-av: scan every object created in the bucket',
        eventPattern: objectCreatedPattern(name, scanBucket.filter),
        // The whole event is the input: the scan machine's first state reads EventBridge events.
        // With Express, the event goes to the queue whose redeliveries carry the retries.
        targets: [
          this.scanQueue
            ? new targets.SqsQueue(this.scanQueue.queue, delivery)
            : new targets.SfnStateMachine(this.scanStateMachine, delivery),
        ],
      });
      this.uploadRules.push(rule);
      // A bucket added after the constructor: its alarm comes with it.
      if (this.monitoring) this.monitoring.watchUploadRule(rule, id, this.uploadDeadLetters());
      // The sweep checks what the event path did: only buckets that have one.
      if (this.sweep) {
        const rule = this.sweep.addBucket(bucket, id, scanBucket.filter);
        const swept = { rule, bucketName: name, label: id };
        this.sweptBuckets.push(swept);
        if (this.monitoring) this.monitoring.watchSweep(swept.rule, swept.bucketName, swept.label);
      }
    }
  }

  /** The dead-letter queue of every upload rule, created with the first. */
  private uploadDeadLetters(): sqs.Queue {
    this.uploadDeadLetterQueue ??= new sqs.Queue(this, 'UploadEventsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: this.actionsProps.removalPolicy,
    });
    return this.uploadDeadLetterQueue;
  }

  /**
   * INFECTED objects of `bucket` get `action`: the scanner names it in their result events, and
   * the actions workflow (created on first use) carries it out.
   */
  private actOnInfected(bucket: s3.IBucket, action: InfectedAction, kmsKeyArn?: string): void {
    if (!this.actions) {
      this.actions = new InfectedActions(this, 'InfectedActions', {
        ...this.actionsProps,
        eventBus: this.resultEventBus,
      });
      this.scanner.addEnvironment(
        'INFECTED_ACTIONS',
        Lazy.string({ produce: () => Stack.of(this).toJsonString(Object.fromEntries(this.infectedActions)) }),
      );
      // A bucket added after the constructor: its alarms come with it.
      if (this.monitoring) this.monitoring.watchInfectedActions(this.actions);
    }
    this.infectedActions.set(bucket.bucketName, action);
    this.actions.addBucket(bucket, action, kmsKeyArn);
  }

  /**
   * Reads denied until the object is tagged CLEAN, and the scan tags the scanner's alone. The
   * policy names the scanner's and the state machines' roles, so the bucket must be in this
   * stack: from another stack it would be a dependency cycle between the two.
   */
  private blockReads(scanBucket: ScanBucket): void {
    const { bucket } = scanBucket;
    if (Stack.of(bucket) !== Stack.of(this)) {
      throw new LambdaAvPropsError(
        `scanBuckets[${quote(bucket.node.path)}].blockReadsUntilClean needs the bucket in the stack of lambda-av (${Stack.of(this).stackName}); for another bucket add the statements of docs/deploy.md ("Block reads until CLEAN") where it is defined`,
      );
    }
    const scannerRole = this.scanner.role as iam.IRole;
    applyBlockReads(bucket, {
      statusTagKey: this.settings.statusTagKey,
      timestampTagKey: this.settings.timestampTagKey,
      cleanStatus: this.settings.statusNames.CLEAN,
      taggerRoleArns: [scannerRole.roleArn],
      readExemptRoleArns: [
        this.scanStateMachine.role.roleArn,
        this.bulkScan.stateMachine.role.roleArn,
        ...(this.actions ? [this.actions.role.roleArn] : []),
        ...(scanBucket.readExemptRoles ?? []).map((role) => role.roleArn),
      ],
    });
  }

  /**
   * The canary's nested executions (`states:startExecution.sync:2`): start the scan state
   * machine, follow and stop its executions, and the managed EventBridge rule Step Functions
   * uses to learn that they ended.
   */
  private grantCanaryScans(express: boolean): void {
    const stack = Stack.of(this);
    const scanMachine = this.scanStateMachine.stateMachineArn;
    if (express) {
      this.updateStateMachine.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['states:StartSyncExecution'], resources: [scanMachine] }),
      );
      return;
    }
    this.updateStateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [scanMachine] }),
    );
    this.updateStateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${this.scanStateMachine.stateMachineName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.updateStateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
          }),
        ],
      }),
    );
  }

  /**
   * What scanning a bucket's objects takes: the scanner reads and tags them (and decrypts them
   * with `kmsKeyArn`), the scan state machine reads their metadata (HeadObject).
   */
  private grantScan(bucket: s3.IBucket, kmsKeyArn?: string): void {
    const objects = bucket.arnForObjects('*');
    // Without s3:ListBucket, S3 answers a missing key with 403 AccessDenied instead of 404: a
    // deleted object would look like a permissions problem and be retried as one.
    const list = new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] });
    this.scanner.addToRolePolicy(list);
    this.scanStateMachine.addToRolePolicy(list);
    this.scanner.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:GetObjectTagging',
          's3:GetObjectVersionTagging',
          's3:PutObjectTagging',
          's3:PutObjectVersionTagging',
        ],
        resources: [objects],
      }),
    );
    if (kmsKeyArn !== undefined) {
      this.scanner.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [kmsKeyArn] }),
      );
    }
    // HeadObject and HeadObject with a VersionId.
    this.scanStateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objects] }),
    );
  }

  /**
   * Starts the update workflow when the stack is created, and again when the updater's code or
   * settings change, so a new stack gets definitions before its first scans. The deployment only
   * starts the execution: it never waits for the update, so a slow or failed first update (ClamAV's
   * CDN refusing the account, say) cannot fail or roll back the deployment. Its outcome is in
   * that execution's history and in the alarms (no definitions published, definitions age).
   */
  private startUpdateOnDeploy(): cr.AwsCustomResource {
    const updater = this.updater.node.defaultChild as lambda.CfnFunction;
    // A change of either starts a new update: new ClamAV code may refuse the set, a new mirror
    // or database list gives another one.
    const input = Stack.of(this).toJsonString({
      trigger: 'deploy',
      code: updater.code,
      settings: updater.environment,
    });
    const start: cr.AwsSdkCall = {
      service: 'SFN',
      action: 'startExecution',
      parameters: { stateMachineArn: this.updateStateMachine.stateMachineArn, input },
      physicalResourceId: cr.PhysicalResourceId.fromResponse('executionArn'),
    };
    const resource = new cr.AwsCustomResource(this, 'UpdateOnDeploy', {
      onCreate: start,
      onUpdate: start,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['states:StartExecution'],
          resources: [this.updateStateMachine.stateMachineArn],
        }),
      ]),
      installLatestAwsSdk: false,
    });
    // Only once the bucket, its policy and both functions exist can the update publish.
    resource.node.addDependency(this.definitions, this.updater, this.scanner);
    suppressAwsCustomResourceProvider(this);
    return resource;
  }

  /**
   * Step Functions delivers logs through CloudWatch Logs' vended log delivery: a group under
   * `/aws/vendedlogs/` needs no entry in the account's CloudWatch Logs resource policy, which is
   * limited to 5,120 characters and fills up with one entry per other log group.
   */
  private stateMachineLogGroup(
    id: string,
    retention: logs.RetentionDays,
    removalPolicy: RemovalPolicy,
  ): logs.LogGroup {
    const name = `${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-${id}`;
    return new logs.LogGroup(this, id, {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention,
      removalPolicy,
    });
  }

  /**
   * The warmer fans out by invoking what it was invoked as: the function, or the `live` alias
   * with provisioned concurrency (the schedule invokes the alias). A grant through the function's
   * default role policy would be a dependency cycle (the function waits for that policy, the
   * policy names the function), so the permission lives in its own policy attached to the role.
   */
  private grantSelfInvoke(role: iam.IRole): void {
    const targets = [this.scanner.functionArn];
    if (this.scannerTarget !== this.scanner) targets.push(this.scannerTarget.functionArn);
    new iam.Policy(this, 'ScannerSelfInvoke', {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: targets })],
    });
  }
}
