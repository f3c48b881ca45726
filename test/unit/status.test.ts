import { loadConfig } from '../../src/config';
import { statusName, VERDICTS } from '../../src/status';

const names = loadConfig({ CLAMAV_BUCKET_NAME: 'defs', FILE_STATUS_UNSCANNABLE: 'cannot-scan' }).statusNames;

test('every verdict is written with its own configured name under the report policy', () => {
  expect(VERDICTS.map((verdict) => statusName(names, 'report', verdict))).toEqual([
    'CLEAN',
    'INFECTED',
    'cannot-scan',
    'SKIPPED',
    'PROCESSING_ERROR',
  ]);
});

test('block-as-infected writes UNSCANNABLE as INFECTED and leaves every other verdict alone', () => {
  expect(VERDICTS.map((verdict) => statusName(names, 'block-as-infected', verdict))).toEqual([
    'CLEAN',
    'INFECTED',
    'INFECTED',
    'SKIPPED',
    'PROCESSING_ERROR',
  ]);
});
