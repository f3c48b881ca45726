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

/** What the store held at start: every execution, and those that were running when the last run ended. */
export interface LoadedExecutions {
  readonly records: readonly ExecutionRecord[];
  /** Executions that were RUNNING when the previous server died: now FAILED (see INTERRUPTED). */
  readonly interrupted: readonly ExecutionRecord[];
}

export interface ExecutionStore {
  load(): LoadedExecutions;
  /** Called when an execution starts (RUNNING) and again when it ends. */
  save(record: ExecutionRecord): void;
}

/** The error an execution ends with when the server running it died (a crash, `kill -9`). */
export const INTERRUPTED = {
  error: 'States.Runtime',
  cause: 'lambda-av serve stopped while this execution ran (a crash or kill -9); it was not finished',
} as const;

/**
 * Executions appended to a file, one JSON document per line, when they start and when they end,
 * so `lambda-av serve --data-dir` shows the same history after a restart. The last line of an
 * execution wins. One still RUNNING at load was cut off by the previous server's death: it comes
 * back FAILED (and is written so), as AWS would report an execution whose run failed, and the
 * caller learns which ones so their work can be done again.
 */
export class ExecutionLog implements ExecutionStore {
  constructor(private readonly file: string) {}

  load(): LoadedExecutions {
    if (!existsSync(this.file)) return { records: [], interrupted: [] };
    const text = readFileSync(this.file, 'utf8');
    // A last line cut short by a crash is ended, so the next record starts a line of its own.
    if (text !== '' && !text.endsWith('\n')) appendFileSync(this.file, '\n');
    const records = new Map<string, ExecutionRecord>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const record = JSON.parse(line) as ExecutionRecord;
        records.set(record.executionArn, record);
      } catch {
        // A line cut short by a crash: the executions before it are still good.
      }
    }
    const interrupted: ExecutionRecord[] = [];
    for (const record of records.values()) {
      if (record.status !== 'RUNNING') continue;
      Object.assign(record, { status: 'FAILED', stopDate: Date.now(), ...INTERRUPTED });
      this.save(record);
      interrupted.push(record);
    }
    return { records: [...records.values()], interrupted };
  }

  save(record: ExecutionRecord): void {
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }
}
