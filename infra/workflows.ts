import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { aslDefinition, UPDATE_DEFINITION_FILE } from './asl-definition';
import type { BulkScan } from './bulk-scan';
import { ExpressScanQueue } from './express-scan-queue';
import type { Settings } from './lambda-av-settings';
import { stateMachineLogGroup } from './state-machine-log-group';
import { SCAN_LOG_LEVEL } from './workflow-settings';

export interface WorkflowsProps {
  readonly settings: Settings;
  /** What Scan, TagSkipped and TagProcessingError invoke: the scanner's `live` alias or the function. */
  readonly scannerTarget: lambda.IFunction;
  readonly updater: lambda.IFunction;
  /** Started by the update workflow after a new set when there is something to rescan. */
  readonly bulkScan: BulkScan;
  /** Whether the update workflow starts rescans (LambdaAvProps.bulkScan.rescanAfterUpdate). */
  readonly rescans: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The scan and update state machines (from `statemachine/*.asl.json`), their log groups, what
 * each may invoke or start (the update workflow's canary runs the scan machine itself), and with
 * `workflowType: 'EXPRESS'` the queue and pipe in front of the scan machine.
 *
 * A part of LambdaAv, not a construct node of its own, so its resources keep their logical IDs
 * (see ScannerFunction).
 */
export class Workflows {
  readonly scanStateMachine: sfn.StateMachine;
  readonly updateStateMachine: sfn.StateMachine;
  /** With `workflowType: 'EXPRESS'`: the queue and pipe in front of the scan state machine. */
  readonly scanQueue: ExpressScanQueue | undefined;

  constructor(scope: Construct, props: WorkflowsProps) {
    const { settings, logRetention, removalPolicy } = props;
    const express = settings.expressQueue;
    this.scanStateMachine = new sfn.StateMachine(scope, 'ScanStateMachine', {
      comment: 'lambda-av: scan one S3 object and tag it',
      stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      ...aslDefinition(
        scope,
        settings.scanDefinitionFile,
        {
          ScannerFunctionArn: props.scannerTarget.functionArn,
          MaxFileSize: String(settings.maxFileSize),
          ...(express ? { MaxReceiveCount: String(express.maxReceiveCount) } : {}),
        },
        { retryBudgetSeconds: settings.retryBudget.toSeconds() },
      ),
      logs: {
        destination: stateMachineLogGroup(scope, 'ScanStateMachineLogs', logRetention, removalPolicy),
        level: sfn.LogLevel[SCAN_LOG_LEVEL[settings.workflowType]],
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });
    // Scan, TagSkipped and TagProcessingError invoke exactly this ARN.
    this.scanStateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.scannerTarget.functionArn],
      }),
    );

    this.updateStateMachine = new sfn.StateMachine(scope, 'UpdateStateMachine', {
      comment: 'lambda-av: update, verify and publish the ClamAV definitions',
      stateMachineType: sfn.StateMachineType.STANDARD,
      ...aslDefinition(scope, UPDATE_DEFINITION_FILE, {
        UpdaterFunctionArn: props.updater.functionArn,
        ScanStateMachineArn: this.scanStateMachine.stateMachineArn,
        // An Express machine answers synchronously (StartSyncExecution); a Standard one is
        // followed to its end (startExecution.sync:2).
        CanaryScanResource: express
          ? `arn:${Stack.of(scope).partition}:states:::aws-sdk:sfn:startSyncExecution`
          : `arn:${Stack.of(scope).partition}:states:::states:startExecution.sync:2`,
        BulkScanStateMachineArn: props.bulkScan.stateMachine.stateMachineArn,
      }),
      logs: {
        destination: stateMachineLogGroup(scope, 'UpdateStateMachineLogs', logRetention, removalPolicy),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });
    this.updateStateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.updater.functionArn] }),
    );
    this.grantCanaryScans(express !== undefined);
    // The rescans after new definitions: started, not waited for.
    if (props.rescans) props.bulkScan.grantStart(this.updateStateMachine);
    this.scanQueue = express
      ? new ExpressScanQueue(scope, 'ScanQueue', {
          stateMachine: this.scanStateMachine,
          visibilityTimeout: express.visibilityTimeout,
          maxReceiveCount: express.maxReceiveCount,
          removalPolicy,
        })
      : undefined;
  }

  /**
   * The canary's nested executions (`states:startExecution.sync:2`): start the scan state
   * machine, follow and stop its executions, and the managed EventBridge rule Step Functions
   * uses to learn that they ended.
   */
  private grantCanaryScans(express: boolean): void {
    const stack = Stack.of(this.scanStateMachine);
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
}
