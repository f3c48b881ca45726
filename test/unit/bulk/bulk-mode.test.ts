import { currentSince, decide, type ModeRules } from '../../../src/bulk/bulk-mode';
import { DEFAULT_STATUS_NAMES } from '../../../src/settings';

const rules = (mode: ModeRules['mode'], extra: Partial<ModeRules> = {}): ModeRules => ({
  mode,
  statusTagKey: 'av-status',
  timestampTagKey: 'av-timestamp',
  statusNames: DEFAULT_STATUS_NAMES,
  maxFileSize: 100,
  currentSince: 5000,
  ...extra,
});
const tagged = (status: string, at = '6000') => ({ 'av-status': status, 'av-timestamp': at, owner: 'x' });

test.each(['unscanned', 'stale', 'all'] as const)('%s: an object without a status tag is scanned', (mode) => {
  expect(decide({ owner: 'x' }, 5, rules(mode))).toEqual({ action: 'scan' });
});

test('unscanned: any status tag leaves the object, whatever the status', () => {
  for (const status of ['CLEAN', 'INFECTED', 'PROCESSING_ERROR', 'something else']) {
    expect(decide(tagged(status), 5, rules('unscanned'))).toEqual({
      action: 'leave',
      reason: 'already-scanned',
      status,
    });
  }
});

test('all: tagged objects are scanned again', () => {
  expect(decide(tagged('CLEAN'), 5, rules('all'))).toEqual({ action: 'scan' });
});

test.each([
  ['a scan before the cutoff', tagged('CLEAN', '4999'), 5, 'scan'],
  ['a scan at the cutoff', tagged('INFECTED', '5000'), 5, 'leave'],
  ['no timestamp', { 'av-status': 'CLEAN' }, 5, 'scan'],
  ['a timestamp that is not a number', tagged('CLEAN', 'yesterday'), 5, 'scan'],
  ['a PROCESSING_ERROR, however recent', tagged('PROCESSING_ERROR'), 5, 'scan'],
  ['a status we did not write', tagged('OK'), 5, 'scan'],
  ['SKIPPED and still over the limit', tagged('SKIPPED', '1'), 101, 'leave'],
  ['SKIPPED but now within the limit', tagged('SKIPPED', '9999'), 100, 'scan'],
] as const)('stale: %s -> %s', (_, tags, size, action) => {
  expect(decide(tags, size, rules('stale')).action).toBe(action);
});

test('stale: without a cutoff (no publication time) every verdict is stale', () => {
  expect(currentSince(undefined, 300_000, 120_000)).toBe(Number.POSITIVE_INFINITY);
  expect(
    decide(tagged('CLEAN', String(Date.now())), 5, rules('stale', { currentSince: Number.POSITIVE_INFINITY }))
      .action,
  ).toBe('scan');
});

test('stale: scans within a definitions check and a switch after publication still count as stale', () => {
  expect(currentSince('2026-01-01T00:00:00.000Z', 300_000, 120_000)).toBe(
    Date.parse('2026-01-01T00:07:00.000Z'),
  );
});
