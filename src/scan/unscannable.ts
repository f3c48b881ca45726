import { POLICY_SIGNATURE_PREFIX } from '../definitions/policy';

/** Why clamd could not scan an object completely. */
export type UnscannableReason = 'encrypted' | 'limits-exceeded' | 'unsupported-format';

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

/** One line for people: `encrypted`, `limits exceeded: MaxFiles`, `unsupported format`. */
export function describeUnscannable(unscannable: Unscannable): string {
  const reason = unscannable.reason.replace('-', ' ');
  return unscannable.limit ? `${reason}: ${unscannable.limit}` : reason;
}
