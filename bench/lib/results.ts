import type { BulkResult } from '../sections/bulk';
import type { ColdStartResult } from '../sections/cold-start';
import type { ConcurrencyRow } from '../sections/concurrency';
import type { CostResult } from '../sections/cost';
import type { EngineSplitRow } from '../sections/engine-split';
import type { ClamscanRow, LatencyRow } from '../sections/latency';
import type { MemoryResult } from '../sections/memory';
import type { StateMachineRow } from '../sections/state-machine';
import type { ThroughputRow } from '../sections/throughput';
import type { SectionLoad } from './load';
import type { MachineInfo } from './machine';

export interface EngineDescription {
  readonly id: 'realistic' | 'light';
  readonly description: string;
  readonly signatures: number;
  readonly MiB: number;
}

export interface TargetResult {
  readonly id: string;
  readonly description: string;
  /** What is compared, e.g. "original / handler, 1 KiB, realistic set". */
  readonly measured: string;
  readonly value: number;
  readonly goal: string;
  readonly met: boolean;
  /** For a missed target: what limits it, from the measurements. */
  readonly limitedBy?: string;
}

/** Everything one run measured; `--json` writes it, the text and Markdown reports render it. */
export interface BenchResults {
  readonly schema: 1;
  readonly mode: 'full' | 'quick';
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  readonly engines: readonly EngineDescription[];
  readonly latency: readonly LatencyRow[];
  readonly clamscan: readonly ClamscanRow[];
  readonly engineSplit: readonly EngineSplitRow[];
  readonly throughput: readonly ThroughputRow[];
  readonly coldStart: ColdStartResult;
  readonly concurrency: readonly ConcurrencyRow[];
  readonly stateMachine: StateMachineRow;
  /** Cost per scan on each workflow path (absent in runs saved before the section existed). */
  readonly cost?: CostResult;
  /** Bulk scans (absent in runs saved before the section existed). */
  readonly bulk?: BulkResult;
  /** Memory and the cost of a scan by memory size (absent in runs saved before the section existed). */
  readonly memory?: MemoryResult;
  readonly targets: readonly TargetResult[];
  /** CPU used by this benchmark and by everything else on the machine, per section. */
  readonly load: readonly SectionLoad[];
}
