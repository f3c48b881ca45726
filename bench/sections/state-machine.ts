import { LambdaClient } from '@aws-sdk/client-lambda';
import { startLocalLambda } from '../../src/local/lambda-server';
import { runLocalExecution, SCAN_STATE_MACHINE } from '../../src/local/step-functions';
import { makeContent } from '../lib/content';
import { type BenchContext, type Engine, uniqueKey } from '../lib/context';
import { type Stats, sizeLabel, summarise, timed } from '../lib/stats';

export interface StateMachineRow {
  readonly engine: Engine['id'];
  readonly size: string;
  readonly runs: number;
  /** The handler called directly, as `scanDirect` does (one Lambda invocation). */
  readonly direct: Stats;
  /** scan.asl.json executed locally: HeadObject, size check, Lambda Invoke of the handler. */
  readonly stateMachine: Stats;
  /** Median state machine minus median direct call. */
  readonly overheadMs: number;
}

const SCANNER = 'lambda-av-scanner';

/**
 * The scan state machine run by aws-local-stepfunctions, its Lambda task going through the local
 * Invoke API to the same warm handler, next to the handler called directly; alternating.
 */
export async function measureStateMachine(
  ctx: BenchContext,
  engine: Engine,
  bytes: number,
  runs: number,
  warmups: number,
): Promise<StateMachineRow> {
  ctx.progress(`state machine vs direct, ${engine.id} set, ${sizeLabel(bytes)}: ${runs} runs`);
  const server = await startLocalLambda({ [SCANNER]: engine.scanner.handler });
  const lambda = new LambdaClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: server.credentials,
    maxAttempts: 1,
  });
  const direct: number[] = [];
  const viaMachine: number[] = [];
  try {
    for (let i = 0; i < runs + warmups; i++) {
      const keys = [uniqueKey('sm-d'), uniqueKey('sm-m')] as const;
      for (const key of keys) await ctx.s3.putBuffer(ctx.bucket, key, makeContent(bytes));
      const callDirect = async () => {
        const { ms } = await timed(() => engine.scanner.scan(ctx.bucket, keys[0]));
        if (i >= warmups) direct.push(ms);
      };
      const callMachine = async () => {
        const { ms, value } = await timed(() =>
          runLocalExecution(
            SCAN_STATE_MACHINE,
            { bucket: ctx.bucket, key: keys[1] },
            {
              lambda,
              s3: engine.scanner.s3,
              substitutions: {
                ScannerFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${SCANNER}`,
                MaxFileSize: String(engine.scanner.config.maxFileSize),
              },
            },
          ),
        );
        const status = (value.output as { status?: string } | undefined)?.status;
        if (value.status !== 'SUCCEEDED' || status !== 'CLEAN') {
          throw new Error(
            `state machine: ${value.status} ${status} ${value.error ?? ''} ${value.cause ?? ''}`,
          );
        }
        if (i >= warmups) viaMachine.push(ms);
      };
      for (const call of i % 2 === 0 ? [callDirect, callMachine] : [callMachine, callDirect]) await call();
      for (const key of keys) await ctx.s3.delete(ctx.bucket, key);
    }
  } finally {
    lambda.destroy();
    await server.stop();
  }
  const d = summarise(direct);
  const m = summarise(viaMachine);
  return {
    engine: engine.id,
    size: sizeLabel(bytes),
    runs,
    direct: d,
    stateMachine: m,
    overheadMs: Math.round((m.median - d.median) * 1000) / 1000,
  };
}
