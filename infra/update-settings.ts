import { Duration } from 'aws-cdk-lib';
import {
  OFFICIAL_DATABASES,
  type OfficialDatabase,
  type ReloadStrategyChoice,
  SETTINGS,
} from '../src/settings';
import type { LambdaAvProps } from './lambda-av-props';
import { checkSetting, checkUrl, checkWholeMinutes, LambdaAvPropsError, quote } from './validation';

/** Where new definitions come from, how often, and how warm scanners switch to them. */
export interface UpdateSettings {
  readonly updateInterval: Duration;
  readonly customDatabaseUrls: readonly string[];
  readonly officialDatabases: readonly OfficialDatabase[];
  readonly definitionsCheckSeconds: number;
  /** CLAMD_RELOAD_STRATEGY. */
  readonly reloadStrategy: ReloadStrategyChoice;
}

/**
 * The sources checked (something to fetch; URLs of the protocols the updater speaks) and the
 * update interval, no more often than hourly from ClamAV's CDN, which rate-limits clients that
 * check more often; a private mirror is yours.
 */
export function resolveUpdates(props: LambdaAvProps): UpdateSettings {
  const definitionsCheckSeconds = checkSetting(
    'definitionsCheckInterval (seconds)',
    props.definitionsCheckInterval?.toSeconds(),
    'DEFINITIONS_CHECK_INTERVAL',
  );
  const reloadStrategy = props.reloadStrategy ?? SETTINGS.CLAMD_RELOAD_STRATEGY.default;
  const officialDatabases = props.officialDatabases ?? OFFICIAL_DATABASES;
  for (const name of officialDatabases) {
    if (!(OFFICIAL_DATABASES as readonly string[]).includes(name)) {
      throw new LambdaAvPropsError(
        `officialDatabases may list ${OFFICIAL_DATABASES.join(', ')}; got ${quote(name)}`,
      );
    }
  }
  if (props.mirrorUrl !== undefined) {
    checkUrl('mirrorUrl', props.mirrorUrl, SETTINGS.CLAMAV_MIRROR_URL.protocols);
  }
  const customDatabaseUrls = props.customDatabaseUrls ?? [];
  customDatabaseUrls.forEach((url, i) => {
    checkUrl(`customDatabaseUrls[${i}]`, url, SETTINGS.CLAMAV_CUSTOM_DATABASE_URLS.deployedProtocols);
  });
  if (officialDatabases.length === 0 && customDatabaseUrls.length === 0) {
    throw new LambdaAvPropsError(
      'officialDatabases is empty and no customDatabaseUrls are given: the updater would fetch nothing',
    );
  }
  const updateInterval = props.updateInterval ?? Duration.hours(3);
  const minUpdateMinutes = props.mirrorUrl === undefined && officialDatabases.length > 0 ? 60 : 5;
  checkWholeMinutes('updateInterval', updateInterval, minUpdateMinutes, 24 * 60);
  return { updateInterval, customDatabaseUrls, officialDatabases, definitionsCheckSeconds, reloadStrategy };
}
