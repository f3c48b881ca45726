import { Duration, Fn, Lazy, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  type DeployedSettingName,
  environmentOf,
  type FunctionEnvironment,
  type InfectedAction,
} from '../src/settings';
import { applyBlockReads } from './block-reads';
import { BulkScan } from './bulk-scan';
import { CanaryBucket } from './canary-bucket';
import { DefinitionsBucket } from './definitions-bucket';
import type { ExpressScanQueue } from './express-scan-queue';
import { TESTED_FEATURE_FLAGS } from './feature-flags';
import { InfectedActions, type InfectedActionsProps } from './infected-actions';
import { OnInfected } from './lambda-av-choices';
import { putLambdaAvMetrics } from './lambda-av-function';
import type { LambdaAvProps, RescanTarget, ScanBucket } from './lambda-av-props';
import { resolveSettings, type Settings } from './lambda-av-settings';
import { defaultLambdaCode } from './lambda-code';
import { LambdaAvMonitoring } from './monitoring';
import { addLambdaAvNagSuppressions, suppressBucketNotificationsHandler } from './nag-suppressions';
import { OrganizationHub, organizationSetting } from './organization/hub';
import type { OrganizationProps } from './organization/organization-props';
import { objectCreatedPattern } from './scan-filter';
import { SCAN_OBJECT_ACTIONS } from './scan-permissions';
import { ScannerFunction } from './scanner-function';
import { Schedules } from './schedules';
import { SweepRules } from './sweep';
import { UpdaterFunction } from './updater-function';
import { checkBucketName, LambdaAvPropsError, quote } from './validation';
import { Workflows } from './workflows';

/** What every part is built with: the code, its architecture, and what happens to logs and buckets. */
interface CommonParts {
  readonly code: lambda.Code;
  readonly architecture: lambda.Architecture;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
}

/** The environment both functions share: where the definitions and the canary are, the status names. */
interface SharedEnvironments {
  readonly definitions: FunctionEnvironment;
  /** The scanner tags with these; the updater judges the canary's verdicts by them. */
  readonly status: FunctionEnvironment;
}

/** A swept bucket, by name (or construct id for a bucket of this stack), with its rule. */
interface SweptBucket {
  readonly rule: events.Rule;
  readonly bucketName: string;
  readonly label: string;
}

/**
 * lambda-av: ClamAV scanning of S3 objects with a memory-resident clamd on Lambda, orchestrated
 * by Step Functions. The scanner and updater functions, the definitions bucket, the scan and
 * update state machines (from `statemachine/*.asl.json`), their schedules, scan on upload, alarms
 * and a dashboard.
 *
 * Composed of parts, each in its own module with its props documented: DefinitionsBucket,
 * CanaryBucket, ScannerFunction, BulkScan, UpdaterFunction, Workflows (the scan and update state
 * machines), Schedules, InfectedActions, LambdaAvMonitoring. This class resolves the settings,
 * wires the parts together and adds the scanned buckets. The parts written after the first
 * deployments (ScannerFunction, UpdaterFunction, Workflows, Schedules) add their resources to
 * this construct's scope rather than to a node of their own, so that every logical ID stays
 * where it was (test/infra/template-fingerprint.test.ts).
 */
export class LambdaAv extends Construct {
  /** The bucket and prefix the definitions are published to. */
  readonly definitions: DefinitionsBucket;
  /** Where the update workflow's canary writes the objects it scans. */
  readonly canary: CanaryBucket;
  /** The scanner function. */
  readonly scanner: lambda.Function;
  /** What the state machine and the warmer invoke: the `live` alias with provisioned concurrency, else the function. */
  readonly scannerTarget: lambda.IFunction;
  /** The updater function: fetches, verifies and publishes definitions. */
  readonly updater: lambda.Function;
  /** The scan state machine (statemachine/scan.asl.json, or scan-express.asl.json). */
  readonly scanStateMachine: sfn.StateMachine;
  /** The definitions update state machine (statemachine/update-definitions.asl.json). */
  readonly updateStateMachine: sfn.StateMachine;
  /** The alarms, their topic and the dashboard. */
  readonly monitoring: LambdaAvMonitoring;
  /** Largest object scanned, in bytes. */
  readonly maxFileSize: number;
  /** The rule that keeps scanners warm, unless `warmerEnabled` is false. */
  readonly warmerRule: events.Rule | undefined;
  /** The rule that starts the update workflow every `updateInterval`. */
  readonly updateRule: events.Rule;
  /** With `WorkflowType.EXPRESS`: the queue and pipe in front of the scan state machine. */
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
  /** The scheduled sweep of the buckets scanned on upload, unless `Sweep.off()`. */
  readonly sweep: SweepRules | undefined;

  /** The hub of an organization's member accounts, when `organization` is given (docs/organization.md). */
  readonly organizationHub: OrganizationHub | undefined;

  private readonly settings: Settings;
  private readonly common: CommonParts;
  private readonly sweptBuckets: SweptBucket[] = [];
  private readonly scanBucketNames = new Set<string>();
  /** Created when a scanned bucket first asks to quarantine or delete infected objects. */
  private actions: InfectedActions | undefined;
  private readonly infectedActions = new Map<string, InfectedAction>();
  private readonly actionsProps: Omit<InfectedActionsProps, 'eventBus'>;

  constructor(scope: Construct, id: string, props: LambdaAvProps = {}) {
    super(scope, id);
    // Before any child exists: feature flags are read from the nearest node that sets them.
    for (const [flag, value] of Object.entries(TESTED_FEATURE_FLAGS)) this.node.setContext(flag, value);
    this.settings = resolveSettings(props);
    this.maxFileSize = this.settings.maxFileSize;
    this.common = commonParts(props);
    this.definitions = this.createDefinitions(props);
    this.canary = new CanaryBucket(this, 'Canary', { removalPolicy: this.common.removalPolicy });
    const environments = this.sharedEnvironments();
    // Every final result is published: the default bus unless the stack is given one.
    this.resultEventBus =
      props.resultEventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');

    const scanner = this.createScanner(props, environments);
    this.scanner = scanner.function;
    this.scannerTarget = scanner.target;
    this.bulkScan = this.createBulkScan(props);
    this.sweep = this.createSweep(scanner.role);
    const rescans = props.bulkScan?.rescanAfterUpdate?.targets ?? [];
    this.updater = this.createUpdater(props, environments, rescans);

    const workflows = new Workflows(this, {
      settings: this.settings,
      scannerTarget: this.scannerTarget,
      updater: this.updater,
      bulkScan: this.bulkScan,
      rescans: rescans.length > 0,
      logRetention: this.common.logRetention,
      removalPolicy: this.common.removalPolicy,
    });
    this.scanStateMachine = workflows.scanStateMachine;
    this.updateStateMachine = workflows.updateStateMachine;
    this.scanQueue = workflows.scanQueue;
    this.grantScan(this.canary.bucket);

    const schedules = this.createSchedules(props);
    this.updateRule = schedules.updateRule;
    this.warmerRule = schedules.warmerRule;
    this.updateOnDeploy = schedules.updateOnDeploy;

    this.actionsProps = this.infectedActionsProps(props, environments);
    this.organizationHub = props.organization ? this.createOrganizationHub(props.organization) : undefined;
    for (const scanBucket of props.scanBuckets ?? []) this.addScanBucket(scanBucket);
    checkRescanTargets(rescans, props.scanBuckets ?? [], props.organization !== undefined);

    this.monitoring = this.createMonitoring(props);
    this.watchScannedBuckets();
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
    this.checkScanBucket(scanBucket);
    this.grantScan(bucket, scanBucket.kmsKeyArn);
    this.bulkScan.addBucket(bucket);
    const action = scanBucket.onInfected ?? OnInfected.TAG;
    if (action !== OnInfected.TAG) this.actOnInfected(bucket, action, scanBucket.kmsKeyArn);
    if (scanBucket.blockReadsUntilClean) this.blockReads(scanBucket);
    if (scanBucket.scanOnUpload ?? true) this.scanOnUpload(scanBucket);
  }

  /**
   * Scans every object created in the buckets named in `bucketNames`, a list known only when the
   * stack is deployed (a CloudFormation parameter's `valueAsList`; the template for teams without
   * CDK uses it). The grants of `addScanBucket` on each, and one upload rule over all of them.
   * Unlike `addScanBucket`, it does not turn on the buckets' EventBridge notifications (do it
   * where the buckets are managed: docs/template.md) and does not sweep them (the sweep starts a
   * bulk scan per bucket, named in its rule).
   */
  addScanBucketNames(bucketNames: string[]): void {
    // The names are a list token: the ARNs are built in the template. The partition segment is a
    // wildcard (IAM allows one in any segment): Fn::Join takes no function as its delimiter, and a
    // role only ever reaches buckets of its own account's partition.
    const arns = (suffix: string) =>
      Token.asList(
        Fn.split(',', Fn.join('', ['arn:*:s3:::', Fn.join(`${suffix},arn:*:s3:::`, bucketNames), suffix])),
      );
    const bucketArns = arns('');
    // Named statements: CDK never merges those, and a list token cannot be merged with others.
    this.grantScanOn(bucketArns, arns('/*'), undefined, 'ScanBucketNames');
    this.bulkScan.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ScanBucketNamesList',
        actions: ['s3:ListBucket'],
        resources: bucketArns,
      }),
    );
    const label = 'BucketNames';
    const rule = new events.Rule(this, `ScanOnUpload-${label}`, {
      description: 'lambda-av: scan every object created in the buckets named',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: bucketNames } },
      },
      targets: [this.uploadRuleTarget()],
    });
    this.uploadRules.push(rule);
    if (this.monitoring) this.monitoring.watchUploadRule(rule, label, this.uploadDeadLetters());
  }

  private createDefinitions(props: LambdaAvProps): DefinitionsBucket {
    return new DefinitionsBucket(this, 'Definitions', {
      prefix: this.settings.prefix,
      ...(props.definitionsBucket ? { bucket: props.definitionsBucket } : {}),
      ...(props.definitionsBucketKey ? { encryptionKey: props.definitionsBucketKey } : {}),
      ...(props.accessLogsBucket ? { accessLogsBucket: props.accessLogsBucket } : {}),
      removalPolicy: this.common.removalPolicy,
    });
  }

  private sharedEnvironments(): SharedEnvironments {
    const { statusNames } = this.settings;
    return {
      definitions: {
        CLAMAV_BUCKET_NAME: this.definitions.bucket.bucketName,
        PATH_TO_AV_DEFINITIONS: this.settings.prefix,
        CANARY_BUCKET_NAME: this.canary.bucket.bucketName,
      },
      status: {
        FILE_STATUS_CLEAN: statusNames.CLEAN,
        FILE_STATUS_INFECTED: statusNames.INFECTED,
        FILE_STATUS_UNSCANNABLE: statusNames.UNSCANNABLE,
        FILE_STATUS_SKIPPED: statusNames.SKIPPED,
        FILE_STATUS_PROCESSING_ERROR: statusNames.PROCESSING_ERROR,
      },
    };
  }

  private createScanner(props: LambdaAvProps, environments: SharedEnvironments): ScannerFunction {
    return new ScannerFunction(this, {
      ...this.functionPartProps(environments),
      definitions: this.definitions,
      resultEventBus: this.resultEventBus,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrency: props.reservedConcurrency } : {}),
      ...(props.provisionedConcurrency !== undefined
        ? { provisionedConcurrency: props.provisionedConcurrency }
        : {}),
    });
  }

  private createUpdater(
    props: LambdaAvProps,
    environments: SharedEnvironments,
    rescans: readonly RescanTarget[],
  ): lambda.Function {
    return new UpdaterFunction(this, {
      ...this.functionPartProps(environments),
      definitions: this.definitions,
      canary: this.canary,
      ...(props.mirrorUrl ? { mirrorUrl: props.mirrorUrl } : {}),
      rescans,
    }).function;
  }

  private functionPartProps(environments: SharedEnvironments) {
    return {
      code: this.common.code,
      architecture: this.common.architecture,
      settings: this.settings,
      definitionsEnvironment: environments.definitions,
      statusEnvironment: environments.status,
      logRetention: this.common.logRetention,
      removalPolicy: this.common.removalPolicy,
    };
  }

  private createBulkScan(props: LambdaAvProps): BulkScan {
    const { bulk } = this.settings;
    const bulkScan = new BulkScan(this, 'BulkScan', {
      scanner: this.scanner,
      maxConcurrency: bulk.maxConcurrency,
      batchSize: bulk.batchSize,
      reportRetention: bulk.reportRetention,
      logRetention: this.common.logRetention,
      removalPolicy: this.common.removalPolicy,
    });
    for (const bucket of props.bulkScan?.inventoryBuckets ?? []) bulkScan.addInventoryBucket(bucket);
    return bulkScan;
  }

  /** The sweep's rules, unless it is off; its count (the Summarise task) goes to LambdaAV's metrics. */
  private createSweep(scannerRole: iam.Role): SweepRules | undefined {
    if (!this.settings.sweep) return undefined;
    const sweep = new SweepRules(this, 'Sweep', {
      bulkScan: this.bulkScan.stateMachine,
      settings: this.settings.sweep,
    });
    scannerRole.addToPrincipalPolicy(putLambdaAvMetrics());
    return sweep;
  }

  private createSchedules(props: LambdaAvProps): Schedules {
    return new Schedules(this, {
      settings: this.settings,
      updateStateMachine: this.updateStateMachine,
      updater: this.updater,
      scannerTarget: this.scannerTarget,
      ...(props.warmerEnabled !== undefined ? { warmerEnabled: props.warmerEnabled } : {}),
      ...(props.updateOnDeploy !== undefined ? { updateOnDeploy: props.updateOnDeploy } : {}),
      updateNeeds: [this.definitions, this.updater, this.scanner],
    });
  }

  /** What the actions workflow is built with, if a scanned bucket asks for it. */
  private infectedActionsProps(
    props: LambdaAvProps,
    environments: SharedEnvironments,
  ): Omit<InfectedActionsProps, 'eventBus'> {
    return {
      code: this.common.code,
      architecture: this.common.architecture,
      environment: environmentOf({
        CLAMAV_BUCKET_NAME: this.definitions.bucket.bucketName,
        ...environments.status,
        UNSCANNABLE_POLICY: this.settings.unscannablePolicy,
        METADATA_FILE_STATUS: this.settings.statusTagKey,
        METADATA_FILE_TIMESTAMP: this.settings.timestampTagKey,
        // The actions function acts on member objects too (docs/organization.md).
        ...(props.organization ? { ORGANIZATION: organizationSetting(this, props.organization) } : {}),
      }),
      quarantineRetention: this.settings.quarantineRetention,
      ...(props.quarantineReadRole ? { quarantineReadRole: props.quarantineReadRole } : {}),
      ...(this.definitions.accessLogsBucket ? { accessLogsBucket: this.definitions.accessLogsBucket } : {}),
      removalPolicy: this.common.removalPolicy,
      logRetention: this.common.logRetention,
    };
  }

  /**
   * The hub of an organization (infra/organization/hub.ts): member events start the same scan
   * workflow, the scanner may assume member roles, and member buckets join the sweep.
   */
  private createOrganizationHub(organization: OrganizationProps): OrganizationHub {
    const hub = new OrganizationHub(this, 'Organization', {
      organization,
      scannerRole: this.scanner.role as iam.IRole,
      scanStateMachine: this.scanStateMachine,
      ...(this.scanQueue ? { scanQueue: this.scanQueue.queue } : {}),
      deadLetterQueue: this.uploadDeadLetters(),
      reportBucket: this.bulkScan.reportBucket,
    });
    this.scanner.addEnvironment('ORGANIZATION' satisfies DeployedSettingName, hub.environment);
    for (const member of this.sweep ? (organization.memberBuckets ?? []) : []) {
      const label = `${member.account}-${member.bucketName}`;
      const rule = this.sweep?.addBucket(hub.memberBucket(member), label, undefined, member.account);
      if (rule) this.sweptBuckets.push({ rule, bucketName: member.bucketName, label });
    }
    return hub;
  }

  private createMonitoring(props: LambdaAvProps): LambdaAvMonitoring {
    const { settings } = this;
    return new LambdaAvMonitoring(this, 'Monitoring', {
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
      ...(this.scanQueue && settings.expressQueue
        ? {
            scanDeadLetterQueue: this.scanQueue.deadLetterQueue,
            scanQueue: {
              queue: this.scanQueue.queue,
              maxMessageAge: settings.expressQueue.retryBudget.plus(settings.expressQueue.visibilityTimeout),
            },
          }
        : {}),
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
  }

  /** The alarms of what the scanned buckets added before monitoring existed. */
  private watchScannedBuckets(): void {
    if (this.actions) this.monitoring.watchInfectedActions(this.actions);
    for (const swept of this.sweptBuckets) {
      this.monitoring.watchSweep(swept.rule, swept.bucketName, swept.label);
    }
    if (this.organizationHub) {
      this.monitoring.watchUploadRule(this.organizationHub.rule, 'organization', this.uploadDeadLetters());
    }
    for (const rule of this.uploadRules) {
      this.monitoring.watchUploadRule(
        rule,
        rule.node.id.replace(/^ScanOnUpload-/, ''),
        this.uploadDeadLetters(),
      );
    }
  }

  /** A valid name, each bucket once, never the definitions bucket, a KMS key ARN that is one. */
  private checkScanBucket(scanBucket: ScanBucket): void {
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
    const action = scanBucket.onInfected ?? OnInfected.TAG;
    if (!Object.values(OnInfected).includes(action)) {
      throw new LambdaAvPropsError(
        `scanBuckets[${quote(name)}].onInfected must be tag, quarantine or delete, got ${quote(action)}`,
      );
    }
  }

  /**
   * Every object created in the bucket starts a scan: EventBridge notifications on (unless the
   * bucket's owner manages them), a rule with a dead-letter queue, and the bucket's sweep.
   */
  private scanOnUpload(scanBucket: ScanBucket): void {
    const { bucket } = scanBucket;
    const name = bucket.bucketName;
    if (scanBucket.eventBridgeNotifications ?? true) {
      // S3 sends "Object Created" to EventBridge only when the bucket says so. For a bucket
      // of another stack, CDK's notifications custom resource keeps the bucket's existing
      // topic, queue and Lambda notifications and adds EventBridge (docs/deploy.md).
      bucket.enableEventBridgeNotification();
      suppressBucketNotificationsHandler(this);
    }
    const id = Token.isUnresolved(name) ? Names.nodeUniqueId(bucket.node) : name;
    const rule = new events.Rule(this, `ScanOnUpload-${id}`, {
      description: scanBucket.filter
        ? 'lambda-av: scan the objects created in the bucket that pass its filter'
        : 'lambda-av: scan every object created in the bucket',
      eventPattern: objectCreatedPattern(name, scanBucket.filter),
      targets: [this.uploadRuleTarget()],
    });
    this.uploadRules.push(rule);
    // A bucket added after the constructor: its alarm comes with it.
    if (this.monitoring) this.monitoring.watchUploadRule(rule, id, this.uploadDeadLetters());
    // The sweep checks what the event path did: only buckets that have one.
    if (this.sweep) {
      const swept = {
        rule: this.sweep.addBucket(bucket, id, scanBucket.filter),
        bucketName: name,
        label: id,
      };
      this.sweptBuckets.push(swept);
      if (this.monitoring) this.monitoring.watchSweep(swept.rule, swept.bucketName, swept.label);
    }
  }

  /**
   * Where an upload rule delivers: the whole event is the input (the scan machine's first state
   * reads EventBridge events); with Express, the queue whose redeliveries carry the retries.
   * EventBridge retries a delivery that fails (throttling, a missing permission) for a day, then
   * leaves the event in the dead-letter queue instead of dropping it.
   */
  private uploadRuleTarget(): events.IRuleTarget {
    const delivery = {
      deadLetterQueue: this.uploadDeadLetters(),
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    };
    return this.scanQueue
      ? new targets.SqsQueue(this.scanQueue.queue, delivery)
      : new targets.SfnStateMachine(this.scanStateMachine, delivery);
  }

  /** The dead-letter queue of every upload rule, created with the first. */
  private uploadDeadLetters(): sqs.Queue {
    this.uploadDeadLetterQueue ??= new sqs.Queue(this, 'UploadEventsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: this.common.removalPolicy,
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
        'INFECTED_ACTIONS' satisfies DeployedSettingName,
        Lazy.string({ produce: () => Stack.of(this).toJsonString(Object.fromEntries(this.infectedActions)) }),
      );
      // Member accounts' infected objects are moved through their member roles.
      if (this.actions.function.role) this.organizationHub?.allowMemberAccess(this.actions.function.role);
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
      // The bulk scan machine only lists (its batches are the scanner's reads): not exempt.
      readExemptRoleArns: [
        this.scanStateMachine.role.roleArn,
        ...(this.actions ? [this.actions.role.roleArn] : []),
        ...(scanBucket.readExemptRoles ?? []).map((role) => role.roleArn),
      ],
    });
  }

  /**
   * What scanning a bucket's objects takes: the scanner reads and tags them (and decrypts them
   * with `kmsKeyArn`), the scan state machine reads their metadata (HeadObject).
   */
  private grantScan(bucket: s3.IBucket, kmsKeyArn?: string): void {
    this.grantScanOn([bucket.bucketArn], [bucket.arnForObjects('*')], kmsKeyArn);
  }

  /** `sid`: the statements' names start with it (unnamed by default). */
  private grantScanOn(bucketArns: string[], objectArns: string[], kmsKeyArn?: string, sid?: string): void {
    const named = (suffix: string) => (sid ? { sid: `${sid}${suffix}` } : {});
    // Without s3:ListBucket, S3 answers a missing key with 403 AccessDenied instead of 404: a
    // deleted object would look like a permissions problem and be retried as one.
    const list = new iam.PolicyStatement({
      ...named('List'),
      actions: ['s3:ListBucket'],
      resources: bucketArns,
    });
    this.scanner.addToRolePolicy(list);
    this.scanStateMachine.addToRolePolicy(list);
    this.scanner.addToRolePolicy(
      new iam.PolicyStatement({
        ...named('Objects'),
        actions: [...SCAN_OBJECT_ACTIONS],
        resources: objectArns,
      }),
    );
    if (kmsKeyArn !== undefined) {
      this.scanner.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [kmsKeyArn] }),
      );
    }
    // HeadObject and HeadObject with a VersionId.
    this.scanStateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        ...named('Head'),
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: objectArns,
      }),
    );
  }
}

/** The props every part shares, with their defaults. */
function commonParts(props: LambdaAvProps): CommonParts {
  const architecture = props.architecture ?? lambda.Architecture.X86_64;
  return {
    code: props.code ?? defaultLambdaCode(architecture),
    architecture,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
  };
}

/**
 * A rescan target must be a scanned bucket: only those may be read and tagged; or, on an
 * organization hub, a member account's bucket, read through its member role.
 */
function checkRescanTargets(
  rescans: readonly RescanTarget[],
  scanBuckets: readonly ScanBucket[],
  organization: boolean,
): void {
  for (const [i, target] of rescans.entries()) {
    if (target.account !== undefined) {
      if (organization) continue;
      throw new LambdaAvPropsError(
        `bulkScan.rescanAfterUpdate.targets[${i}].account needs organization: only a hub reaches other accounts`,
      );
    }
    const scanned = scanBuckets.some(
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
}
