import type { ReloadStrategyChoice } from '../settings';

/**
 * How this reload switches clamd to new definitions (the deployment's choice, `auto` resolved
 * by memory at the time of the reload):
 * - `concurrent`: zRELOAD with `ConcurrentDatabaseReload yes`. Scans never wait, but clamd holds
 *   the old and the new engine at once while the new one loads: about twice its memory (measured
 *   1.5 GB -> 3.0 GB for a set the size of ClamAV's official one).
 * - `restart`: wait for scans in flight, stop clamd, start it on the new set. Memory never
 *   exceeds one engine, but scans arriving meanwhile wait for the load (seconds for the official
 *   set).
 */
export type ReloadMethod = Exclude<ReloadStrategyChoice, 'auto'>;

/** Room kept free beside the engines and this process, for scans' buffers and the runtime. */
export const RELOAD_HEADROOM_BYTES = 256 * 2 ** 20;

export interface ReloadStrategyInputs {
  readonly setting: ReloadStrategyChoice;
  /** clamd's resident memory now, i.e. one engine. */
  readonly clamdBytes: number | undefined;
  /** This Node.js process's resident memory. */
  readonly processBytes: number;
  /** What the instance may use: the Lambda's configured memory. */
  readonly limitBytes: number;
}

/** `auto` reloads concurrently only when a second engine fits in memory with headroom to spare. */
export function chooseReloadMethod(inputs: ReloadStrategyInputs): ReloadMethod {
  if (inputs.setting !== 'auto') return inputs.setting;
  if (inputs.clamdBytes === undefined) return 'restart';
  const peak = 2 * inputs.clamdBytes + inputs.processBytes + RELOAD_HEADROOM_BYTES;
  return peak <= inputs.limitBytes ? 'concurrent' : 'restart';
}
