import { Duration } from 'aws-cdk-lib';
import {
  customDatabaseUrlProblem,
  OFFICIAL_DATABASES,
  type OfficialDatabase,
  type ReloadStrategyChoice,
  SETTINGS,
} from '../src/settings';
import type { LambdaAvProps } from './lambda-av-props';
import type { SecretUrl } from './secret-url';
import { checkSetting, checkUrl, checkWholeMinutes, LambdaAvPropsError, quote } from './validation';

/** Where new definitions come from, how often, and how warm scanners switch to them. */
export interface UpdateSettings {
  readonly updateInterval: Duration;
  readonly customDatabaseUrls: readonly string[];
  /** Where the updater reads the mirror's URL at run time (CLAMAV_MIRROR_URL_SECRET). */
  readonly mirrorUrlSecret: SecretUrl | undefined;
  /** Where it reads more custom database URLs (CLAMAV_CUSTOM_DATABASE_URL_SECRETS). */
  readonly customDatabaseUrlSecrets: readonly SecretUrl[];
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
  const mirrorUrlSecret = props.mirrorUrlSecret;
  if (props.mirrorUrl !== undefined && mirrorUrlSecret !== undefined) {
    throw new LambdaAvPropsError(
      `mirrorUrl and mirrorUrlSecret are both given: one mirror, one way (got mirrorUrl ${quote(props.mirrorUrl)})`,
    );
  }
  const customDatabaseUrls = props.customDatabaseUrls ?? [];
  customDatabaseUrls.forEach((url, i) => {
    checkUrl(`customDatabaseUrls[${i}]`, url, SETTINGS.CLAMAV_CUSTOM_DATABASE_URLS.deployedProtocols);
    const problem = customDatabaseUrlProblem(url);
    if (problem) throw new LambdaAvPropsError(`customDatabaseUrls[${i}] ${problem}, got ${quote(url)}`);
  });
  const customDatabaseUrlSecrets = props.customDatabaseUrlSecrets ?? [];
  if (officialDatabases.length === 0 && customDatabaseUrls.length + customDatabaseUrlSecrets.length === 0) {
    throw new LambdaAvPropsError(
      'officialDatabases is empty and no customDatabaseUrls or customDatabaseUrlSecrets are given: the updater would fetch nothing',
    );
  }
  const updateInterval = props.updateInterval ?? Duration.hours(3);
  const ownMirror = props.mirrorUrl !== undefined || mirrorUrlSecret !== undefined;
  const minUpdateMinutes = !ownMirror && officialDatabases.length > 0 ? 60 : 5;
  checkWholeMinutes('updateInterval', updateInterval, minUpdateMinutes, 24 * 60);
  return {
    updateInterval,
    customDatabaseUrls,
    mirrorUrlSecret,
    customDatabaseUrlSecrets,
    officialDatabases,
    definitionsCheckSeconds,
    reloadStrategy,
  };
}
