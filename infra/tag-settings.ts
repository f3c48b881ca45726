import {
  DEFAULT_STATUS_NAMES,
  SETTINGS,
  type StatusNames,
  statusNamesOf,
  UNSCANNABLE_POLICIES,
  type UnscannablePolicy,
} from '../src/settings';
import { TagPreset } from './lambda-av-choices';
import type { LambdaAvProps, StatusValues } from './lambda-av-props';
import { checkTagKey, checkTagValue, LambdaAvPropsError, quote } from './validation';

/** What the scanner writes on each object: the tag keys, the status values, the unscannable policy. */
export interface TagSettings {
  /** The status names the scanner writes and the updater judges the canary by (FILE_STATUS_*). */
  readonly statusNames: StatusNames;
  readonly statusTagKey: string;
  readonly timestampTagKey: string;
  readonly unscannablePolicy: UnscannablePolicy;
}

/**
 * The tags of AWS's managed malware scanning (GuardDuty Malware Protection for S3), for teams
 * whose policies and automation read them: the key `GuardDutyMalwareScanStatus` and its values.
 * An object over the size limit and one clamd could not read are both UNSUPPORTED, as GuardDuty
 * reports either; an access-denied object is FAILED with the error in its result (a sixth value
 * would need a sixth verdict; the result event tells them apart).
 */
export const GUARDDUTY_TAG_PRESET = {
  statusTagKey: 'GuardDutyMalwareScanStatus',
  statusValues: {
    clean: 'NO_THREATS_FOUND',
    infected: 'THREATS_FOUND',
    unscannable: 'UNSUPPORTED',
    skipped: 'UNSUPPORTED',
    processingError: 'FAILED',
  },
} as const satisfies { statusTagKey: string; statusValues: Required<StatusValues> };

/** The tag keys and status values, from a preset or the props, each checked. */
export function resolveTags(props: LambdaAvProps): TagSettings {
  const preset = resolveTagPreset(props);
  const statusNames = resolveStatusNames(preset?.statusValues ?? props.statusValues ?? {});
  const unscannablePolicy = props.unscannablePolicy ?? SETTINGS.UNSCANNABLE_POLICY.default;
  if (!(UNSCANNABLE_POLICIES as readonly string[]).includes(unscannablePolicy)) {
    throw new LambdaAvPropsError(
      `unscannablePolicy must be one of ${UNSCANNABLE_POLICIES.join(', ')}, got ${quote(unscannablePolicy)}`,
    );
  }
  const statusTagKey =
    preset?.statusTagKey ??
    checkTagKey('statusTagKey', props.statusTagKey ?? SETTINGS.METADATA_FILE_STATUS.default);
  const timestampTagKey = checkTagKey(
    'timestampTagKey',
    props.timestampTagKey ?? SETTINGS.METADATA_FILE_TIMESTAMP.default,
  );
  if (statusTagKey === timestampTagKey) {
    throw new LambdaAvPropsError(
      `statusTagKey and timestampTagKey must differ: both are ${quote(statusTagKey)}`,
    );
  }
  return { statusNames, statusTagKey, timestampTagKey, unscannablePolicy };
}

/** The prop naming each verdict's status value. */
const STATUS_VALUE_PROPS: Readonly<Record<keyof StatusNames, keyof StatusValues>> = {
  CLEAN: 'clean',
  INFECTED: 'infected',
  UNSCANNABLE: 'unscannable',
  SKIPPED: 'skipped',
  PROCESSING_ERROR: 'processingError',
};

/** Each a valid tag value, and no two alike: the scanner refuses to start otherwise (src/config.ts). */
function resolveStatusNames(values: StatusValues): StatusNames {
  const prop = (verdict: keyof StatusNames) => `statusValues.${STATUS_VALUE_PROPS[verdict]}`;
  return statusNamesOf(
    (verdict) => {
      const value = values[STATUS_VALUE_PROPS[verdict]];
      return value === undefined ? DEFAULT_STATUS_NAMES[verdict] : checkTagValue(prop(verdict), value);
    },
    ({ first, second, name }) =>
      new LambdaAvPropsError(`${prop(second)} must differ from ${prop(first)}: both are ${quote(name)}`),
  );
}

function resolveTagPreset(props: LambdaAvProps): typeof GUARDDUTY_TAG_PRESET | undefined {
  if (props.tagPreset === undefined) return undefined;
  if (props.tagPreset !== TagPreset.GUARDDUTY) {
    throw new LambdaAvPropsError(`tagPreset must be guardduty, got ${quote(String(props.tagPreset))}`);
  }
  if (props.statusTagKey !== undefined || props.statusValues !== undefined) {
    throw new LambdaAvPropsError(
      'tagPreset sets statusTagKey and statusValues: give either the preset or your own, not both',
    );
  }
  return GUARDDUTY_TAG_PRESET;
}
