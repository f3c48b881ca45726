import { readFileSync } from 'node:fs';

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

interface State {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly End?: boolean;
  readonly TimeoutSeconds?: number;
  readonly Seconds?: number;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: ReadonlyArray<{ readonly Next: string }>;
  readonly Choices?: ReadonlyArray<{ readonly Next: string }>;
}

interface Definition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
}

/** The longest a state can take: every attempt its retriers allow, timed out, and the waits between. */
export function stateWorstCaseSeconds(state: State): number {
  if (state.Type === 'Wait') return state.Seconds ?? 0;
  if (state.Type !== 'Task') return 0;
  const timeout = state.TimeoutSeconds ?? 99_999_999;
  let seconds = timeout;
  for (const retrier of state.Retry ?? []) {
    const attempts = retrier.MaxAttempts ?? 3;
    let wait = retrier.IntervalSeconds ?? 1;
    for (let i = 0; i < attempts; i++) {
      seconds += Math.min(wait, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) + timeout;
      wait *= retrier.BackoffRate ?? 2;
    }
  }
  return seconds;
}

/**
 * The longest an execution of the definition can run: the slowest path from StartAt to an end,
 * through Next, Default, Choices and Catch, each Task at its worst (stateWorstCaseSeconds). The
 * definitions checked with it have no loops.
 */
export function worstCaseSeconds(definition: Definition): { seconds: number; path: string[] } {
  const memo = new Map<string, { seconds: number; path: string[] }>();
  const visit = (name: string, seen: ReadonlySet<string>): { seconds: number; path: string[] } => {
    const known = memo.get(name);
    if (known) return known;
    if (seen.has(name)) throw new Error(`state ${name} is on a loop: no worst case`);
    const state = definition.States[name];
    if (!state) throw new Error(`no state ${name}`);
    const next = [
      state.Next,
      state.Default,
      ...(state.Choices ?? []).map((choice) => choice.Next),
      ...(state.Catch ?? []).map((catcher) => catcher.Next),
    ].filter((n): n is string => n !== undefined);
    const inner = new Set([...seen, name]);
    const slowest = next
      .map((n) => visit(n, inner))
      .reduce((a, b) => (b.seconds > a.seconds ? b : a), { seconds: 0, path: [] as string[] });
    const result = { seconds: stateWorstCaseSeconds(state) + slowest.seconds, path: [name, ...slowest.path] };
    memo.set(name, result);
    return result;
  };
  return visit(definition.StartAt, new Set());
}

export function worstCaseOfFile(file: string): { seconds: number; path: string[] } {
  return worstCaseSeconds(JSON.parse(readFileSync(file, 'utf8')) as Definition);
}
