import {
  OfficialDatabase,
  OnInfected,
  ProcessingErrorThreshold,
  ReloadStrategy,
  Sweep,
  TagPreset,
  UnscannablePolicy,
  WorkflowType,
} from '../../infra';
import { GUARDDUTY_TAG_PRESET } from '../../infra/tag-settings';
import {
  INFECTED_ACTIONS,
  OFFICIAL_DATABASES,
  RELOAD_STRATEGY_CHOICES,
  SETTINGS,
  UNSCANNABLE_POLICIES,
} from '../../src/settings';

// Each enumeration of the props carries the strings the functions read (src/settings.ts): the
// construct writes the value into the function's environment as it is.
test.each([
  ['ReloadStrategy', Object.values(ReloadStrategy), RELOAD_STRATEGY_CHOICES],
  ['UnscannablePolicy', Object.values(UnscannablePolicy), UNSCANNABLE_POLICIES],
  ['OfficialDatabase', Object.values(OfficialDatabase), OFFICIAL_DATABASES],
  [
    'OnInfected (besides TAG)',
    Object.values(OnInfected).filter((v) => v !== OnInfected.TAG),
    INFECTED_ACTIONS,
  ],
])('%s has exactly the values of the settings registry', (_name, values, registry) => {
  expect([...values].sort()).toEqual([...registry].sort());
});

test("the enumerations' defaults are the registry's defaults", () => {
  expect(SETTINGS.CLAMD_RELOAD_STRATEGY.default).toBe(ReloadStrategy.AUTO);
  expect(SETTINGS.UNSCANNABLE_POLICY.default).toBe(UnscannablePolicy.REPORT);
});

test('WorkflowType and TagPreset name what the construct knows', () => {
  expect(Object.values(WorkflowType).sort()).toEqual(['EXPRESS', 'STANDARD']);
  expect(Object.values(TagPreset)).toEqual(['guardduty']);
  expect(GUARDDUTY_TAG_PRESET.statusTagKey).toBe('GuardDutyMalwareScanStatus');
});

test('ProcessingErrorThreshold is a share or a count, never both', () => {
  expect(ProcessingErrorThreshold.percent(5)).toMatchObject({ percentOfScans: 5 });
  expect(ProcessingErrorThreshold.percent(5).scans).toBeUndefined();
  expect(ProcessingErrorThreshold.count(3)).toMatchObject({ scans: 3 });
  expect(ProcessingErrorThreshold.count(3).percentOfScans).toBeUndefined();
});

test('Sweep.daily() sweeps once a day, Sweep.off() has no schedule', () => {
  expect(Sweep.daily().schedule?.expressionString).toBe('rate(1 day)');
  expect(Sweep.off().schedule).toBeUndefined();
});
