import { loadConfig } from '../../../src/config';
import { VERDICTS } from '../../../src/scan/contract';
import { statusName } from '../../../src/scan/status-name';

const names = loadConfig({ CLAMAV_BUCKET_NAME: 'defs', FILE_STATUS_UNSCANNABLE: 'cannot-scan' }).statusNames;

test.each([
  ['report: every verdict is written with its own configured name', 'report', 'cannot-scan'],
  [
    'block-as-infected: UNSCANNABLE is written as INFECTED, every other verdict as before',
    'block-as-infected',
    'INFECTED',
  ],
] as const)('%s', (_, policy, unscannable) => {
  expect(VERDICTS.map((verdict) => statusName(names, policy, verdict))).toEqual([
    'CLEAN',
    'INFECTED',
    unscannable,
    'SKIPPED',
    'PROCESSING_ERROR',
  ]);
});
