import { type Duration, Token } from 'aws-cdk-lib';
import { isTagKey, isTagValue, isUrlOf, SETTINGS } from '../src/settings';
import { LambdaAvPropsError } from './errors';

/**
 * Prop checks that throw at construction time (LambdaAvPropsError), naming the prop and the value
 * received, so a wrong value fails `cdk synth` instead of a deployment or a scan at run time.
 */
export { LambdaAvPropsError };

/** A value as error messages show it: strings quoted, so an empty or padded value is visible. */
export function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A whole number in [min, max]; tokens (resolved at deploy time) are passed through unchecked. */
export function checkInteger(name: string, value: number, min: number, max: number): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LambdaAvPropsError(`${name} must be a whole number from ${min} to ${max}, got ${quote(value)}`);
  }
  return value;
}

export function checkUrl(name: string, value: string, protocols: readonly string[]): string {
  if (!isUrlOf(value, protocols)) {
    throw new LambdaAvPropsError(`${name} must be a ${protocols.join(' or ')} URL, got ${quote(value)}`);
  }
  return value;
}

/** S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending alphanumeric. */
export function checkBucketName(name: string, value: string): string {
  if (Token.isUnresolved(value)) return value;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
    throw new LambdaAvPropsError(`${name} must be an S3 bucket name, got ${quote(value)}`);
  }
  return value;
}

/** Key prefixes go into IAM resource ARNs and conditions: no wildcards, no surrounding slashes. */
export function checkPrefix(name: string, value: string): string {
  if (value !== '' && !/^[A-Za-z0-9!_.()'-]+(\/[A-Za-z0-9!_.()'-]+)*$/.test(value)) {
    throw new LambdaAvPropsError(
      `${name} must be empty or path segments of letters, digits and !_.()'- separated by single slashes, without a leading or trailing slash, got ${quote(value)}`,
    );
  }
  return value;
}

/** S3 tag keys, as the scanner checks METADATA_FILE_* (src/settings.ts); tokens pass unchecked. */
export function checkTagKey(name: string, value: string): string {
  if (Token.isUnresolved(value)) return value;
  if (!isTagKey(value)) {
    throw new LambdaAvPropsError(`${name} must be a valid S3 tag key, got ${quote(value)}`);
  }
  return value;
}

/** S3 tag values, non-empty (src/settings.ts); tokens pass unchecked. */
export function checkTagValue(name: string, value: string): string {
  if (Token.isUnresolved(value)) return value;
  if (!isTagValue(value)) {
    throw new LambdaAvPropsError(`${name} must be a valid, non-empty S3 tag value, got ${quote(value)}`);
  }
  return value;
}

/** An integer prop carrying a setting of the registry: its bounds, and its default when not given. */
export function checkSetting(
  name: string,
  value: number | undefined,
  setting: 'MAX_FILE_SIZE' | 'WARM_CONCURRENCY' | 'DEFINITIONS_CHECK_INTERVAL',
): number {
  const { min, max, default: fallback } = SETTINGS[setting];
  return checkInteger(name, value ?? fallback, min, max);
}

/** A duration in whole minutes within [min, max]. */
export function checkWholeMinutes(name: string, interval: Duration, min: number, max: number): void {
  checkInteger(`${name} (whole minutes)`, interval.toMinutes({ integral: false }), min, max);
}
