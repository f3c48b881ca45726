/**
 * Signatures of our own, loaded beside every set of definitions: they flag content that ClamAV
 * 1.4 passes as OK without having scanned it, so that nothing unscanned comes back CLEAN.
 *
 * - Zip64 local headers: a deflated (or otherwise compressed) ZIP member whose local header
 *   gives its sizes as 0xFFFFFFFF (the sizes live in a zip64 extra field, as streaming ZIP writers
 *   produce) is not extracted by ClamAV 1.4.6 ("stream out of file") and the archive is answered
 *   OK: the EICAR file inside such a ZIP is missed. Found by the robustness suite. Body
 *   signatures also apply to extracted content, so the pattern is caught inside other containers.
 *   Layout after `PK\x03\x04`: version (2 bytes), flags (2), method (2: deflate 08, deflate64 09,
 *   bzip2 0c, lzma 0e, zstd 5d/5f, xz 5f, ppmd 62, ...), time and date (4), CRC (4), then
 *   compressed and uncompressed size (4 + 4) both 0xFFFFFFFF.
 */
export const POLICY_DATABASE_NAME = 'lambda-av-policy.ndb';

/**
 * Every policy signature's name starts so: a finding of ours says the content was not scanned
 * (an UNSCANNABLE verdict, src/scan/unscannable.ts), not that it is malware.
 */
export const POLICY_SIGNATURE_PREFIX = 'LambdaAV.Unscannable.';

export const POLICY_SIGNATURES = [
  `${POLICY_SIGNATURE_PREFIX}Zip64LocalHeader:0:*:504b0304{4}(08|09|0c|0e|5d|5f|62|63)00{8}ffffffffffffffff`,
];

export const POLICY_DATABASE = `${POLICY_SIGNATURES.join('\n')}\n`;
