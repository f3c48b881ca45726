import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Scanner } from '../scanner';

export interface WarmerSettings {
  /** Instances to keep warm, this one included. */
  readonly warmConcurrency: number;
  readonly functionName: string | undefined;
}

export interface WarmResult {
  readonly warmed: true;
  readonly coldStart: boolean;
  readonly definitions?: string;
  /** Other instances asked to warm up, and how many of them answered without error. */
  readonly fanOut: { readonly requested: number; readonly succeeded: number };
}

/**
 * A fanned-out warmer keeps its instance busy a little while, so the concurrent invocations land
 * on distinct instances instead of queueing on one that finished early.
 */
const FAN_OUT_HOLD_MS = 250;

/**
 * `{"warmer": true}`: starts clamd if needed and scans nothing. With WARM_CONCURRENCY = N > 1
 * the first warmer invokes its own function N - 1 more times at once, so N instances are warm
 * (this one included); those invocations do not fan out again.
 */
export async function warm(
  scanner: Scanner,
  lambda: LambdaClient,
  settings: WarmerSettings,
  fanOut: boolean,
): Promise<WarmResult> {
  const prepared = await scanner.prepare();
  const requested = fanOut && settings.functionName ? settings.warmConcurrency - 1 : 0;
  const outcomes = await Promise.allSettled(
    Array.from({ length: requested }, () =>
      lambda.send(
        new InvokeCommand({
          FunctionName: settings.functionName,
          Payload: Buffer.from(JSON.stringify({ warmer: true, fanOut: false })),
        }),
      ),
    ),
  );
  if (!fanOut) await new Promise((resolve) => setTimeout(resolve, FAN_OUT_HOLD_MS));
  const succeeded = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.FunctionError).length;
  return {
    warmed: true,
    coldStart: prepared.coldStart,
    ...(prepared.definitions ? { definitions: prepared.definitions } : {}),
    fanOut: { requested, succeeded },
  };
}
