/**
 * A file system error as a person reads it, without the path (the report line names it): Node's
 * `ELOOP: too many symbolic links encountered, stat 'a/b'` becomes `too many symbolic links
 * encountered`. Anything else is its message.
 */
export function describeFsError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^[A-Z0-9]+: (.+?), [a-z_]+(?: '.*')?$/s.exec(message)?.[1] ?? message;
}
