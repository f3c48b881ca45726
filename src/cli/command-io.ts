/** What a command talks to: its output streams, its environment, and the user's Ctrl-C. */
export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The bytes of each argument, in order, when they are known (src/cli/argument-bytes.ts): file
   * names that are not valid UTF-8 reach the command intact. Without it, the arguments' text.
   */
  readonly argumentBytes?: readonly Buffer[];
  /**
   * Aborted on Ctrl-C (SIGINT), SIGTERM or SIGHUP. A command that holds resources (clamd,
   * servers, temporary files) listens on it and stops cleanly; without a listener the process
   * simply ends.
   */
  readonly signal?: AbortSignal;
  /** Resolves once what was written to `out` has been taken by its reader (back-pressure). */
  readonly drained?: () => Promise<void>;
}
