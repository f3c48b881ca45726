import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { ExecutionEvent } from './step-functions';

/** One execution as the local Step Functions endpoint keeps it (times in ms since the epoch). */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** JSON, as given to StartExecution. */
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly startDate: number;
  stopDate?: number;
  /** JSON of the output, when it succeeded. */
  output?: string;
  error?: string;
  cause?: string;
  events: readonly ExecutionEvent[];
}

export interface ExecutionStore {
  load(): ExecutionRecord[];
  save(record: ExecutionRecord): void;
}

/**
 * Finished executions appended to a file, one JSON document per line, so `lambda-av serve
 * --data-dir` shows the same history after a restart. An execution that was still running when
 * the previous server died is loaded as ABORTED.
 */
export class ExecutionLog implements ExecutionStore {
  constructor(private readonly file: string) {}

  load(): ExecutionRecord[] {
    if (!existsSync(this.file)) return [];
    const records = new Map<string, ExecutionRecord>();
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const record = JSON.parse(line) as ExecutionRecord;
        records.set(record.executionArn, record);
      } catch {
        // A line cut short by a crash: the executions before it are still good.
      }
    }
    return [...records.values()].map((record) =>
      record.status === 'RUNNING'
        ? { ...record, status: 'ABORTED', error: 'ExecutionAborted', cause: 'lambda-av serve stopped' }
        : record,
    );
  }

  save(record: ExecutionRecord): void {
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }
}
