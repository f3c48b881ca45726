import { Duration } from 'aws-cdk-lib';
import type { LambdaAvProps } from './lambda-av-props';
import { ProcessingErrorThreshold } from './processing-error-threshold';
import { checkInteger, LambdaAvPropsError, quote } from './validation';

/** The alarms' thresholds. */
export interface AlarmSettings {
  readonly definitionsAgeThreshold: Duration;
  readonly scanLatencyThreshold: Duration;
  readonly canaryLatencyThreshold: Duration;
  readonly processingErrorThreshold: ProcessingErrorThreshold;
  readonly unscannableAlarmThreshold: number | undefined;
}

/** Each threshold checked; the definitions' age must outlast an update interval, or it fires between two. */
export function resolveAlarms(props: LambdaAvProps, updateInterval: Duration): AlarmSettings {
  const definitionsAgeThreshold = props.definitionsAgeThreshold ?? Duration.hours(24);
  if (definitionsAgeThreshold.toMinutes({ integral: false }) <= updateInterval.toMinutes()) {
    throw new LambdaAvPropsError(
      `definitionsAgeThreshold (${definitionsAgeThreshold.toHumanString()}) must be longer than updateInterval (${updateInterval.toHumanString()}), or the alarm fires between two updates`,
    );
  }
  checkInteger(
    'definitionsAgeThreshold (whole hours)',
    definitionsAgeThreshold.toHours({ integral: false }),
    1,
    24 * 365,
  );
  const scanLatencyThreshold = props.scanLatencyThreshold ?? Duration.seconds(60);
  checkInteger('scanLatencyThreshold (ms)', scanLatencyThreshold.toMilliseconds(), 1, 15 * 60 * 1000);
  const canaryLatencyThreshold = props.canaryLatencyThreshold ?? Duration.minutes(2);
  checkInteger('canaryLatencyThreshold (ms)', canaryLatencyThreshold.toMilliseconds(), 1, 60 * 60 * 1000);
  const processingErrorThreshold = checkProcessingErrorThreshold(
    props.processingErrorThreshold ?? ProcessingErrorThreshold.percent(5),
  );
  const unscannableAlarmThreshold =
    props.unscannableAlarmThreshold === undefined
      ? undefined
      : checkInteger('unscannableAlarmThreshold', props.unscannableAlarmThreshold, 1, 100_000);
  return {
    definitionsAgeThreshold,
    scanLatencyThreshold,
    canaryLatencyThreshold,
    processingErrorThreshold,
    unscannableAlarmThreshold,
  };
}

function checkProcessingErrorThreshold(threshold: ProcessingErrorThreshold): ProcessingErrorThreshold {
  if (!(threshold instanceof ProcessingErrorThreshold)) {
    throw new LambdaAvPropsError(
      `processingErrorThreshold must be ProcessingErrorThreshold.percent(n) or ProcessingErrorThreshold.count(n), got ${quote(JSON.stringify(threshold))}`,
    );
  }
  if (threshold.percentOfScans !== undefined) {
    checkInteger('processingErrorThreshold.percent', threshold.percentOfScans, 1, 100);
  } else if (threshold.scans !== undefined) {
    checkInteger('processingErrorThreshold.count', threshold.scans, 1, 100_000);
  }
  return threshold;
}
