import { Token } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import { ScanFilterError } from './errors';

/**
 * Which objects of a bucket start a scan, decided by the EventBridge rule's pattern itself, so
 * that a filtered object starts no execution and costs nothing. A filtered object is never
 * scanned and never tagged.
 *
 * An object is scanned when its key starts with one of `prefixes` (if given) AND ends with one
 * of `suffixes` (if given) AND is not excluded by `exclude` (if given), AND its size is within
 * [`minSize`, `maxSize`] (each bound if given). Strings are the keys as uploaded (not encoded)
 * and are case-sensitive, like S3 keys.
 *
 * What EventBridge can express (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
 * the values listed for one field are ORed, and two conditions on one field can only be ANDed
 * by folding them into one matcher. So:
 * - prefixes and suffixes together become one `wildcard` per pair (`prefix*suffix`);
 * - `exclude` becomes one `anything-but` (`prefix`, `suffix`, or `wildcard` `prefix*suffix`),
 *   which takes a single value and cannot be ANDed with an include on the same field:
 *   `exclude` together with `prefixes` or `suffixes` is refused with a {@link ScanFilterError};
 * - sizes are a `numeric` range on `detail.object.size`.
 *
 * Keys in the event: AWS documents that S3 event notifications carry keys form-encoded (a space
 * as `+`), but does not say how EventBridge "Object Created" events carry them. So each include
 * string is listed in every encoding it may arrive in (as written, or percent-encoded with a
 * space as `+` or `%20`, keeping the characters of HTML forms, RFC 3986 or JavaScript's
 * `encodeURIComponent`; `/` kept in all, as S3 notifications are seen to do, undocumented:
 * {@link ENCODERS}), and an object matches
 * whichever way AWS encodes. An include may therefore also let through a key that only looks
 * like one of its encodings (scanned although filtered: never the reverse). An exclusion is a
 * single value and cannot be listed in several encodings, so it must read the same in all of
 * them: letters, digits and `/ . _ -` only, and a suffix must not start with a hex digit
 * (the end of a `%XX` escape could otherwise complete it). Anything else is refused.
 */
export interface ScanFilter {
  /** Scan only keys that start with one of these. @default every key */
  readonly prefixes?: string[];
  /** Scan only keys that end with one of these. @default every key */
  readonly suffixes?: string[];
  /**
   * Leave unscanned the keys that start with `prefix` and end with `suffix` (give one or both).
   * Cannot be combined with `prefixes` or `suffixes`. @default nothing excluded
   */
  readonly exclude?: ScanExclusion;
  /**
   * Scan only objects of at least this many bytes. EventBridge documents numeric matching for
   * values up to 5.0e9 only: whether an object larger than that (5 GB) still matches `>= minSize`
   * is not documented, so with `minSize` it may start no execution at all (not even a SKIPPED
   * tag, which it would get without the filter). @default 0
   */
  readonly minSize?: number;
  /** Scan only objects of at most this many bytes. @default no limit */
  readonly maxSize?: number;
}

/** One exclusion: keys that start with `prefix` and end with `suffix` (either may be omitted). */
export interface ScanExclusion {
  /** Keys that start with this. @default any start */
  readonly prefix?: string;
  /** Keys that end with this. @default any end */
  readonly suffix?: string;
}

export { ScanFilterError };

/** Default quota "Event pattern size": 2,048 characters (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html). */
export const MAX_PATTERN_LENGTH = 2048;
/** Our cap, not AWS's: a handful of strings keeps the pattern short and readable. */
export const MAX_STRINGS = 10;
/**
 * Our cap on prefix x suffix pairs. EventBridge refuses wildcard patterns that are "too
 * complex" (InvalidEventPatternException) at a threshold it does not publish; it grows with
 * wildcards that share the text before their `*`, as pairs of one prefix do.
 */
export const MAX_PAIRS = 10;
/** Numeric matching is limited to -5.0e9..+5.0e9 (EventBridge content filtering, numeric matching). */
export const MAX_SIZE_BOUND = 5_000_000_000;
const MAX_KEY_LENGTH = 1024;

/**
 * The full EventBridge pattern of a bucket's scan-on-upload rule: S3 "Object Created" events of
 * `bucketName`, narrowed by `filter`. Throws {@link ScanFilterError} for a filter that is
 * malformed or that EventBridge cannot express.
 */
export function objectCreatedPattern(bucketName: string, filter: ScanFilter = {}): events.EventPattern {
  const where = `scanFilter of bucket ${describeBucket(bucketName)}`;
  const prefixes = checkStrings(where, 'prefixes', filter.prefixes);
  const suffixes = checkStrings(where, 'suffixes', filter.suffixes);
  const exclusion = checkExclusion(where, filter.exclude, prefixes.length + suffixes.length > 0);
  const size = sizeMatchers(where, filter.minSize, filter.maxSize);

  const key = exclusion ?? includeMatchers(where, prefixes, suffixes);
  const object = {
    ...(key.length > 0 ? { key } : {}),
    ...(size.length > 0 ? { size } : {}),
  };
  const pattern: events.EventPattern = {
    source: ['aws.s3'],
    detailType: ['Object Created'],
    detail: {
      bucket: { name: [bucketName] },
      ...(Object.keys(object).length > 0 ? { object } : {}),
    },
  };
  checkLength(where, pattern, bucketName);
  return pattern;
}

function describeBucket(name: string): string {
  return Token.isUnresolved(name) ? '(a bucket of this app)' : JSON.stringify(name);
}

function checkStrings(where: string, field: string, values: readonly string[] | undefined): string[] {
  if (values === undefined) return [];
  if (values.length === 0) {
    throw new ScanFilterError(`${where}: ${field} is empty; omit it to scan every key`);
  }
  if (values.length > MAX_STRINGS) {
    throw new ScanFilterError(`${where}: at most ${MAX_STRINGS} ${field}, got ${values.length}`);
  }
  for (const value of values) checkString(where, field, value);
  return [...new Set(values)];
}

function checkString(where: string, field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ScanFilterError(`${where}: ${field} must be non-empty strings, got ${JSON.stringify(value)}`);
  }
  if (Token.isUnresolved(value)) {
    throw new ScanFilterError(
      `${where}: ${field} must be literal strings, not values resolved at deploy time: they are encoded into the pattern at synth`,
    );
  }
  if (value.length > MAX_KEY_LENGTH) {
    throw new ScanFilterError(
      `${where}: ${field} entries must be at most ${MAX_KEY_LENGTH} characters (an S3 key's length), got ${value.length}`,
    );
  }
}

// --- includes -------------------------------------------------------------------------------

type KeyMatcher = string | { readonly [operator: string]: unknown };

function includeMatchers(where: string, prefixes: string[], suffixes: string[]): KeyMatcher[] {
  if (prefixes.length > 0 && suffixes.length > 0) {
    if (prefixes.length * suffixes.length > MAX_PAIRS) {
      throw new ScanFilterError(
        `${where}: ${prefixes.length} prefixes x ${suffixes.length} suffixes make ${prefixes.length * suffixes.length} wildcard pairs, more than ${MAX_PAIRS}: EventBridge refuses wildcard patterns it finds too complex (at a threshold it does not publish). Use fewer prefixes or suffixes, or one of the two lists alone`,
      );
    }
    return unique(
      prefixes.flatMap((prefix) => suffixes.flatMap((suffix) => prefixAndSuffix(prefix, suffix))),
    );
  }
  if (prefixes.length > 0) return unique(prefixes.flatMap((p) => encodings(p).map((e) => ({ prefix: e }))));
  return unique(suffixes.flatMap((s) => encodings(s).map((e) => ({ suffix: e }))));
}

/**
 * "Starts with `prefix` AND ends with `suffix`", in each encoding (the same one on both ends,
 * as one event key has one encoding). `prefix*suffix` needs at least both lengths, so the keys
 * where the two overlap (`report.pdf` for `report` and `t.pdf`) are listed exactly as well.
 */
function prefixAndSuffix(prefix: string, suffix: string): KeyMatcher[] {
  return ENCODERS.flatMap((encode) => {
    const p = encode(prefix);
    const s = encode(suffix);
    const overlapping: KeyMatcher[] = [];
    for (let k = 1; k <= Math.min(p.length, s.length); k++) {
      if (p.endsWith(s.slice(0, k))) overlapping.push(p + s.slice(k));
    }
    return [{ wildcard: `${escapeWildcard(p)}*${escapeWildcard(s)}` }, ...overlapping];
  });
}

/**
 * In a `wildcard`, `*` matches any run of characters; a backslash escapes `*` and itself, and
 * escaping anything else is refused (aws/event-ruler README, "Wildcard matching", the library
 * EventBridge's patterns come from).
 */
export function escapeWildcard(literal: string): string {
  return literal.replace(/[\\*]/g, (c) => `\\${c}`);
}

function unique(matchers: KeyMatcher[]): KeyMatcher[] {
  const seen = new Set<string>();
  return matchers.filter((m) => {
    const id = JSON.stringify(m);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

// --- encodings ------------------------------------------------------------------------------

type Encoder = (key: string) => string;

/** Each character a function keeps (`kept`), everything else as `%XX` of its UTF-8 bytes. */
function percentEncoder(kept: RegExp, space: string): Encoder {
  return (key) =>
    Array.from(key, (c) => {
      if (c === ' ') return space;
      if (c === '/' || kept.test(c)) return c;
      return Array.from(
        new TextEncoder().encode(c),
        (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
      ).join('');
    }).join('');
}

/**
 * The encodings a key may arrive in, `/` kept in all: as written, or percent-encoded with a
 * space as `+` (form encoding, which AWS documents for S3 event notifications) or as `%20`,
 * keeping the characters of one of the usual sets: HTML forms / Java's URLEncoder (`.-*_`),
 * RFC 3986 (`-._~`, AWS's own SigV4 encoding) or JavaScript's `encodeURIComponent`
 * (`-_.!~*'()`), besides letters and digits. Hex digits are upper case in all, as all three
 * write them.
 */
const KEPT_SETS = [/^[A-Za-z0-9.*_-]$/, /^[A-Za-z0-9._~-]$/, /^[A-Za-z0-9_.!~*'()-]$/];
export const ENCODERS: readonly Encoder[] = [
  (key) => key,
  ...['+', '%20'].flatMap((space) => KEPT_SETS.map((kept) => percentEncoder(kept, space))),
];

/** Every distinct form of `key` in {@link ENCODERS}. */
export function encodings(key: string): string[] {
  return [...new Set(ENCODERS.map((encode) => encode(key)))];
}

// --- exclusion ------------------------------------------------------------------------------

/** Characters every encoder keeps as they are. */
const INVARIANT = /^[A-Za-z0-9/._-]+$/;

function checkExclusion(
  where: string,
  exclude: ScanExclusion | undefined,
  hasIncludes: boolean,
): KeyMatcher[] | undefined {
  if (exclude === undefined) return undefined;
  const { prefix, suffix } = exclude;
  if (prefix === undefined && suffix === undefined) {
    throw new ScanFilterError(`${where}: exclude needs a prefix, a suffix or both`);
  }
  if (hasIncludes) {
    throw new ScanFilterError(
      `${where}: exclude cannot be combined with prefixes or suffixes: EventBridge cannot AND two conditions on detail.object.key (the values listed for a field are ORed, and anything-but takes a single value), so "included and not excluded" has no pattern. Use prefixes/suffixes alone, or exclude alone`,
    );
  }
  for (const [field, value] of [
    ['exclude.prefix', prefix],
    ['exclude.suffix', suffix],
  ] as const) {
    if (value === undefined) continue;
    checkString(where, field, value);
    if (!INVARIANT.test(value)) {
      throw new ScanFilterError(
        `${where}: ${field} ${JSON.stringify(value)} may only hold letters, digits and / . _ -: an exclusion is a single value, and AWS does not document whether keys in these events are encoded, so it must read the same encoded or not`,
      );
    }
  }
  if (suffix !== undefined && /^[0-9A-Fa-f]/.test(suffix)) {
    throw new ScanFilterError(
      `${where}: exclude.suffix ${JSON.stringify(suffix)} must not start with a hex digit: in an encoded key the end of an escape such as %2E could complete it and exclude a key that does not end with it. Start it with a letter g-z, / . _ or -`,
    );
  }
  if (prefix !== undefined && suffix !== undefined) {
    // Keys where the two overlap are shorter than prefix+suffix and stay scanned: the safe side.
    return [{ 'anything-but': { wildcard: `${escapeWildcard(prefix)}*${escapeWildcard(suffix)}` } }];
  }
  if (prefix !== undefined) return [{ 'anything-but': { prefix } }];
  return [{ 'anything-but': { suffix } }];
}

// --- size -----------------------------------------------------------------------------------

function sizeMatchers(where: string, minSize: number | undefined, maxSize: number | undefined): KeyMatcher[] {
  for (const [field, value] of [
    ['minSize', minSize],
    ['maxSize', maxSize],
  ] as const) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SIZE_BOUND) {
      throw new ScanFilterError(
        `${where}: ${field} must be a whole number of bytes from 0 to ${MAX_SIZE_BOUND} (EventBridge's numeric matching range), got ${JSON.stringify(value)}`,
      );
    }
  }
  if (minSize !== undefined && maxSize !== undefined && minSize > maxSize) {
    throw new ScanFilterError(`${where}: minSize ${minSize} is larger than maxSize ${maxSize}`);
  }
  // minSize 0 alone filters nothing: leave the size out, so no object depends on numeric matching.
  const lower = minSize !== undefined && minSize > 0 ? ['>=', minSize] : [];
  const upper = maxSize !== undefined ? ['<=', maxSize] : [];
  return lower.length + upper.length > 0 ? [{ numeric: [...lower, ...upper] }] : [];
}

// --- size of the whole pattern --------------------------------------------------------------

function checkLength(where: string, pattern: events.EventPattern, bucketName: string): void {
  // A bucket name resolved at deploy time is counted at S3's longest, 63 characters.
  const named = Token.isUnresolved(bucketName)
    ? { ...pattern, detail: { ...pattern.detail, bucket: { name: ['x'.repeat(63)] } } }
    : pattern;
  const { detailType, ...rest } = named;
  const length = JSON.stringify({ ...rest, 'detail-type': detailType }).length;
  if (length > MAX_PATTERN_LENGTH) {
    throw new ScanFilterError(
      `${where}: the event pattern would be ${length} characters, over EventBridge's ${MAX_PATTERN_LENGTH} (quota "Event pattern size"). Use fewer or shorter prefixes and suffixes`,
    );
  }
}
