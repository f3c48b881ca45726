import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DefinitionsNotPublishedError } from '../errors';
import { logger } from '../logger';
import type { Scanner } from '../scan/scanner';

export interface WarmerSettings {
  /** Instances to keep warm, this one included. */
  readonly warmConcurrency: number;
  readonly functionName: string | undefined;
}

export interface WarmResult {
  /** False when there was nothing to warm up with: no definitions are published yet. */
  readonly warmed: boolean;
  readonly coldStart: boolean;
  readonly definitions?: string;
  /** Why the instance is not warm (no definitions published), when it is not. */
  readonly reason?: string;
  /** Other instances asked to warm up, and how many of them answered without error. */
  readonly fanOut: { readonly requested: number; readonly succeeded: number };
}

/** What the warmer remembers across the invocations of one instance. */
export interface WarmerState {
  /** Set once "no definitions published" has been logged by this instance. */
  definitionsMissingLogged: boolean;
}

/**
 * A fanned-out warmer keeps its instance busy a little while, so the concurrent invocations land
 * on distinct instances instead of queueing on one that finished early.
 */
const FAN_OUT_HOLD_MS = 250;

/**
 * `{"warmer": true}`: starts clamd if needed and scans nothing. With WARM_CONCURRENCY = N > 1
 * the first warmer invokes its own function N - 1 more times at once, so N instances are warm
 * (this one included); those invocations do not fan out again. They invoke exactly what this
 * invocation was invoked as (`target`: the alias with provisioned concurrency, when the schedule
 * invokes it), so the instances kept warm are the ones scans land on.
 *
 * Before the first definitions are published there is nothing to start clamd with: the warmer
 * says so (once per instance in the log, every time in its result and a metric) and does not
 * fail, so a new stack waiting for its first set does not raise an error every few minutes.
 */
export async function warm(
  scanner: Scanner,
  lambda: LambdaClient,
  settings: WarmerSettings,
  fanOut: boolean,
  state: WarmerState,
  target: string | undefined,
): Promise<WarmResult> {
  let prepared: Awaited<ReturnType<Scanner['prepare']>>;
  try {
    prepared = await scanner.prepare();
  } catch (error) {
    if (!(error instanceof DefinitionsNotPublishedError)) throw error;
    if (!state.definitionsMissingLogged) {
      state.definitionsMissingLogged = true;
      logger.warn('no definitions published yet: nothing to warm up with', { reason: error.message });
    }
    return { warmed: false, coldStart: false, reason: error.message, fanOut: { requested: 0, succeeded: 0 } };
  }
  const functionName = target ?? settings.functionName;
  const requested = fanOut && functionName ? settings.warmConcurrency - 1 : 0;
  const outcomes = await Promise.allSettled(
    Array.from({ length: requested }, () =>
      lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
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
