import { readFileSync } from 'node:fs';

const REPLACEMENT = '\ufffd';

/**
 * The bytes of each of `args` (the command's arguments, after the script's path). Node decodes
 * its arguments as UTF-8 and replaces bytes that are not with U+FFFD, but a Linux file name may
 * hold any byte except `/` and NUL: a name decoded so cannot be opened. The kernel keeps the
 * arguments as given, NUL-separated, in /proc/self/cmdline, whose last entries are `args`. An
 * argument without U+FFFD is its text's bytes; one with it takes the kernel's bytes when they
 * decode to the same text, else (no /proc, a changed process title) its text's bytes.
 */
export function argumentBytes(
  args: readonly string[],
  cmdline: Buffer | undefined = readCmdline(),
): Buffer[] {
  const raw = cmdline ? splitCmdline(cmdline).slice(-args.length) : [];
  return args.map((arg, index) => {
    const bytes = raw.length === args.length ? raw[index] : undefined;
    if (!arg.includes(REPLACEMENT) || bytes === undefined) return Buffer.from(arg);
    return bytes.toString('utf8') === arg ? bytes : Buffer.from(arg);
  });
}

function readCmdline(): Buffer | undefined {
  try {
    return readFileSync('/proc/self/cmdline');
  } catch {
    return undefined;
  }
}

function splitCmdline(cmdline: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let end = cmdline.indexOf(0); end >= 0; end = cmdline.indexOf(0, start)) {
    parts.push(cmdline.subarray(start, end));
    start = end + 1;
  }
  if (start < cmdline.length) parts.push(cmdline.subarray(start));
  return parts;
}
