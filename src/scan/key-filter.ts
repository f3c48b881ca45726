import { InvalidEventError } from '../errors';

/**
 * Which objects of a bucket its upload rule scans (infra/scan-filter.ts `ScanFilter`, there as an
 * EventBridge pattern), as a bulk scan applies it per object, so that the scheduled sweep never
 * counts an object the event path leaves alone on purpose. An object passes when its key starts
 * with one of `prefixes` (if any) AND ends with one of `suffixes` (if any) AND is not excluded,
 * AND its size is within [minSize, maxSize]. Keys as stored (a listing gives them decoded).
 */
export interface KeyFilter {
  readonly prefixes?: readonly string[];
  readonly suffixes?: readonly string[];
  readonly exclude?: { readonly prefix?: string; readonly suffix?: string };
  readonly minSize?: number;
  readonly maxSize?: number;
}

/** An object the filter lets through; an unknown size passes the size bounds (it is scanned). */
export function passesFilter(filter: KeyFilter, key: string, size: number | undefined): boolean {
  const { prefixes, suffixes, exclude, minSize, maxSize } = filter;
  if (prefixes && !prefixes.some((prefix) => key.startsWith(prefix))) return false;
  if (suffixes && !suffixes.some((suffix) => key.endsWith(suffix))) return false;
  if (
    exclude &&
    (exclude.prefix !== undefined || exclude.suffix !== undefined) &&
    key.startsWith(exclude.prefix ?? '') &&
    key.endsWith(exclude.suffix ?? '')
  ) {
    return false;
  }
  if (size !== undefined && minSize !== undefined && size < minSize) return false;
  if (size !== undefined && maxSize !== undefined && size > maxSize) return false;
  return true;
}

/** A filter from a request (`filter`) or a batch's input; `{}` or absent: every object. */
export function parseKeyFilter(value: unknown, name = 'filter'): KeyFilter {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEventError(`${name} must be a JSON object, got ${JSON.stringify(value)}`);
  }
  const raw = value as Record<string, unknown>;
  const unknownKeys = Object.keys(raw).filter(
    (key) => !['prefixes', 'suffixes', 'exclude', 'minSize', 'maxSize'].includes(key),
  );
  if (unknownKeys.length > 0) {
    throw new InvalidEventError(
      `${name} takes prefixes, suffixes, exclude, minSize and maxSize, got ${JSON.stringify(unknownKeys)}`,
    );
  }
  const strings = (field: string): readonly string[] | undefined => {
    const list = raw[field];
    if (list === undefined) return undefined;
    if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s !== '')) {
      throw new InvalidEventError(
        `${name}.${field} must be a list of non-empty strings, got ${JSON.stringify(list)}`,
      );
    }
    return list as string[];
  };
  const bytes = (field: string): number | undefined => {
    const n = raw[field];
    if (n === undefined) return undefined;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new InvalidEventError(
        `${name}.${field} must be a whole number of bytes, got ${JSON.stringify(n)}`,
      );
    }
    return n;
  };
  let exclude: KeyFilter['exclude'];
  if (raw.exclude !== undefined) {
    const e = raw.exclude as Record<string, unknown>;
    if (
      typeof e !== 'object' ||
      e === null ||
      (e.prefix === undefined && e.suffix === undefined) ||
      (e.prefix !== undefined && typeof e.prefix !== 'string') ||
      (e.suffix !== undefined && typeof e.suffix !== 'string')
    ) {
      throw new InvalidEventError(
        `${name}.exclude must be {prefix?, suffix?} with one of them, got ${JSON.stringify(raw.exclude)}`,
      );
    }
    exclude = {
      ...(typeof e.prefix === 'string' ? { prefix: e.prefix } : {}),
      ...(typeof e.suffix === 'string' ? { suffix: e.suffix } : {}),
    };
  }
  const prefixes = strings('prefixes');
  const suffixes = strings('suffixes');
  const minSize = bytes('minSize');
  const maxSize = bytes('maxSize');
  if (minSize !== undefined && maxSize !== undefined && minSize > maxSize) {
    throw new InvalidEventError(`${name}.minSize (${minSize}) must not exceed maxSize (${maxSize})`);
  }
  return {
    ...(prefixes ? { prefixes } : {}),
    ...(suffixes ? { suffixes } : {}),
    ...(exclude ? { exclude } : {}),
    ...(minSize !== undefined ? { minSize } : {}),
    ...(maxSize !== undefined ? { maxSize } : {}),
  };
}
