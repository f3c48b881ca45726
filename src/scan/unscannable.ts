import { POLICY_SIGNATURE_PREFIX } from '../definitions/policy';

/** Why clamd could not scan an object completely. */
export const UNSCANNABLE_REASONS = ['encrypted', 'limits-exceeded', 'unsupported-format'] as const;
export type UnscannableReason = (typeof UNSCANNABLE_REASONS)[number];

export interface Unscannable {
  readonly reason: UnscannableReason;
  /** For `limits-exceeded`: the limit as clamd names it (`MaxFiles`, `MaxScanSize`, `MaxRecursion`, ...). */
  readonly limit?: string;
}

/**
 * clamd answers content it could not scan completely with a FOUND like any other: with
 * `AlertEncrypted` and `AlertExceedsMax` on (src/clamd/clamd-conf.ts), `Heuristics.Encrypted.*`
 * and `Heuristics.Limits.Exceeded.*`; our policy signatures (src/definitions/policy.ts) name
 * formats ClamAV 1.4 skips. These names say nothing was found in what could not be read, so they
 * are UNSCANNABLE, not INFECTED.
 *
 * Every other name is a finding about the content and stays INFECTED, including the other
 * `Heuristics.*` names of libclamav: phishing (`Heuristics.Phishing.*`), known viruses and
 * exploits (`Heuristics.W32.*`, `Heuristics.Exploit.*`), crafted archives
 * (`Heuristics.Zip.OverlappingFiles`), macros, broken executables and media. clamd reports a real
 * detection ahead of these heuristics (`HeuristicScanPrecedence no`), so an archive holding
 * malware and tripping a limit comes back with the malware's name.
 *
 * Signatures from databases get a `.UNOFFICIAL` suffix; the engine's own heuristics never do, so
 * a database signature cannot pass itself off as one of them.
 */
const ENCRYPTED = /^Heuristics\.Encrypted\.[A-Za-z0-9]+$/;
const LIMIT_EXCEEDED = /^Heuristics\.Limits\.Exceeded\.([A-Za-z0-9]+)$/;
/** An xz stream whose dictionary is larger than ClamAV will allocate: it is not decompressed. */
const XZ_DICTIONARY_LIMIT = 'Heuristics.XZ.DicSizeLimit';

/** What clamd's FOUND name says, when it says the object could not be scanned completely. */
export function unscannableFinding(signature: string): Unscannable | undefined {
  if (ENCRYPTED.test(signature)) return { reason: 'encrypted' };
  const limit = LIMIT_EXCEEDED.exec(signature)?.[1];
  if (limit) return { reason: 'limits-exceeded', limit };
  if (signature === XZ_DICTIONARY_LIMIT) return { reason: 'limits-exceeded', limit: 'XZ.DicSizeLimit' };
  const own = signature.replace(/\.UNOFFICIAL$/, '');
  if (own.startsWith(POLICY_SIGNATURE_PREFIX) && own.length > POLICY_SIGNATURE_PREFIX.length) {
    return { reason: 'unsupported-format' };
  }
  return undefined;
}

/** For people: `encrypted`, `limit MaxFiles exceeded`, `unsupported format`. */
export function describeUnscannable(unscannable: Unscannable): string {
  if (unscannable.reason === 'limits-exceeded') {
    return unscannable.limit ? `limit ${unscannable.limit} exceeded` : 'a limit exceeded';
  }
  return unscannable.reason.replace('-', ' ');
}

/** How a scan result carries it: `unscannable: true`, `reason`, and `limit` for a limit. */
export interface UnscannableFields {
  readonly unscannable: true;
  readonly reason: UnscannableReason;
  readonly limit?: string;
}

export function unscannableFields(unscannable: Unscannable): UnscannableFields {
  return {
    unscannable: true,
    reason: unscannable.reason,
    ...(unscannable.limit ? { limit: unscannable.limit } : {}),
  };
}

/** Reads those fields back from a result (a state machine's output, a Lambda's answer). */
export function unscannableOfResult(result: {
  readonly unscannable?: unknown;
  readonly reason?: unknown;
  readonly limit?: unknown;
}): Unscannable | undefined {
  if (result.unscannable !== true) return undefined;
  const reason = (UNSCANNABLE_REASONS as readonly unknown[]).includes(result.reason)
    ? (result.reason as UnscannableReason)
    : undefined;
  if (!reason) return undefined;
  return { reason, ...(typeof result.limit === 'string' ? { limit: result.limit } : {}) };
}
