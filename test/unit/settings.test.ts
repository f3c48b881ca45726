import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import {
  DEFAULT_STATUS_NAMES,
  isTagKey,
  isTagValue,
  isUrlOf,
  SETTINGS,
  type Setting,
  type SettingName,
  statusNamesOf,
} from '../../src/settings';

const ROOT = path.join(__dirname, '..', '..');
const entries = Object.entries(SETTINGS) as Array<[SettingName, Setting]>;

/** What a user reads: the README, docs/ and the CLI's help. */
const documentation = [
  readFileSync(path.join(ROOT, 'README.md'), 'utf8'),
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => readFileSync(path.join(ROOT, 'docs', name), 'utf8')),
  readFileSync(path.join(ROOT, 'src', 'cli', 'usage.ts'), 'utf8'),
].join('\n');

test.each(entries.filter(([, setting]) => setting.source !== 'runtime'))(
  '%s is documented for users (README, docs/ or the CLI help)',
  (name) => {
    expect(documentation).toMatch(new RegExp(`\\b${name}\\b`));
  },
);

test.each(entries)('%s says what it does', (_name, setting) => {
  expect(setting.doc.trim().length).toBeGreaterThan(10);
});

test.each(entries)('%s: its default passes its own validation', (name, setting) => {
  switch (setting.kind) {
    case 'integer':
      expect(setting.min).toBeLessThanOrEqual(setting.max);
      if (setting.default !== undefined) {
        expect(setting.default).toBeGreaterThanOrEqual(setting.min);
        expect(setting.default).toBeLessThanOrEqual(setting.max);
      }
      break;
    case 'choice':
      expect(setting.choices).toContain(setting.default);
      break;
    case 'tag-key':
      expect(isTagKey(setting.default)).toBe(true);
      break;
    case 'status':
      // A status is written as a tag value, so its default must be a valid one.
      expect(isTagValue(setting.default)).toBe(true);
      break;
    case 'list':
      for (const item of setting.default.split(',').filter((i) => i !== '')) {
        if (setting.choices) expect(setting.choices).toContain(item);
        if (setting.protocols) expect(isUrlOf(item, setting.protocols)).toBe(true);
      }
      break;
    default:
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  }
});

test('the scanner reads every default from the registry', () => {
  const config = loadConfig({ CLAMAV_BUCKET_NAME: 'defs' });

  expect(config).toMatchObject({
    statusTagKey: SETTINGS.METADATA_FILE_STATUS.default,
    timestampTagKey: SETTINGS.METADATA_FILE_TIMESTAMP.default,
    warmConcurrency: SETTINGS.WARM_CONCURRENCY.default,
    maxFileSize: SETTINGS.MAX_FILE_SIZE.default,
    workDir: SETTINGS.AV_WORK_DIR.default,
    scanTimeoutMs: SETTINGS.CLAMD_SCAN_TIMEOUT_MS.default,
    definitionsCheckIntervalSeconds: SETTINGS.DEFINITIONS_CHECK_INTERVAL.default,
    reloadStrategy: SETTINGS.CLAMD_RELOAD_STRATEGY.default,
    unscannablePolicy: SETTINGS.UNSCANNABLE_POLICY.default,
    statusNames: DEFAULT_STATUS_NAMES,
    updater: { officialDatabases: SETTINGS.CLAMAV_OFFICIAL_DATABASES.default.split(',') },
  });
});

test('the default status names are accepted as they are', () => {
  expect(
    statusNamesOf(
      (verdict) => DEFAULT_STATUS_NAMES[verdict],
      () => new Error('clash'),
    ),
  ).toEqual(DEFAULT_STATUS_NAMES);
});

test('the generated docs/configuration.md gives each default as the registry does', () => {
  const page = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const rows = [...page.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| `([^`]*)`/gm)];
  const given = rows.map(([, name, value]) => [name, value]);

  const expected = given.map(([name]) => {
    const setting: Setting | undefined = SETTINGS[name as SettingName];
    return [name, setting && 'default' in setting ? String(setting.default) : undefined];
  });

  expect(given.length).toBeGreaterThan(15);
  expect(given).toEqual(expected);
});
