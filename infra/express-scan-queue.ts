import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface ExpressScanQueueProps {
  /** The Express scan state machine the pipe starts, synchronously. */
  readonly stateMachine: sfn.IStateMachine;
  /** Outlasts an execution: a message is delivered again only once its execution has ended. */
  readonly visibilityTimeout: Duration;
  /** Deliveries of one upload's event before it goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** What happens to the queues when they are removed. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * What carries an Express scan's retries: upload events go to an SQS queue, and an EventBridge
 * pipe starts the Express state machine synchronously (REQUEST_RESPONSE) for each message. A
 * failed execution leaves its message on the queue, which delivers it again after the visibility
 * timeout, up to `maxReceiveCount` times (AWS documents that a pipe with an SQS source retries a
 * target's failures up to the queue's maximum receive count); the machine tags PROCESSING_ERROR on
 * the last delivery, and what still fails lands in the dead-letter queue.
 */
export class ExpressScanQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly pipe: pipes.CfnPipe;

  constructor(scope: Construct, id: string, props: ExpressScanQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
    });
    const role = new iam.Role(this, 'PipeRole', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com'),
      description: 'lambda-av: the pipe from the scan queue to the Express scan state machine',
    });
    this.queue.grantConsumeMessages(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartSyncExecution'],
        resources: [props.stateMachine.stateMachineArn],
      }),
    );
    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      description: 'lambda-av: each upload event on the queue starts the Express scan state machine',
      roleArn: role.roleArn,
      source: this.queue.queueArn,
      sourceParameters: { sqsQueueParameters: { batchSize: 1 } },
      target: props.stateMachine.stateMachineArn,
      targetParameters: { stepFunctionStateMachineParameters: { invocationType: 'REQUEST_RESPONSE' } },
    });
    this.pipe.node.addDependency(role);
  }
}
