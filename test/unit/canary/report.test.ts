import { elapsedMs, judgeCanary } from '../../../src/canary/report';

const names = {
  CLEAN: 'clean',
  INFECTED: 'infected',
  UNSCANNABLE: 'unscannable',
  SKIPPED: 'skipped',
  PROCESSING_ERROR: 'error',
};

function scan(expected: 'INFECTED' | 'CLEAN', status: string, extra: object = {}, output: object = {}) {
  return {
    expected,
    execution: {
      Status: 'SUCCEEDED',
      Output: { status, ...output },
      StartDate: 1_000,
      StopDate: 1_250,
      ...extra,
    },
  };
}

test('EICAR infected and the clean object clean, by the configured status names: detected', () => {
  const report = judgeCanary([scan('INFECTED', 'infected'), scan('CLEAN', 'clean')], names);

  expect(report).toMatchObject({ detected: true, latencyMs: 250_000 });
  expect(report.scans.every((s) => s.problem === undefined)).toBe(true);
});

test.each([
  ['EICAR clean', [scan('INFECTED', 'clean'), scan('CLEAN', 'clean')], /expected infected, got clean/],
  ['a processing error', [scan('INFECTED', 'infected'), scan('CLEAN', 'error')], /expected clean, got error/],
  [
    'EICAR unscannable',
    [scan('INFECTED', 'unscannable', {}, { unscannable: true, reason: 'encrypted' }), scan('CLEAN', 'clean')],
    /expected infected, got unscannable/,
  ],
  [
    'EICAR infected only because it was unscannable (block-as-infected)',
    [scan('INFECTED', 'infected', {}, { unscannable: true, reason: 'encrypted' }), scan('CLEAN', 'clean')],
    /infected, but only because clamd could not scan the object completely/,
  ],
  [
    'a failed scan execution',
    [
      scan('INFECTED', 'infected'),
      { expected: 'CLEAN' as const, failure: { Error: 'States.TaskFailed', Cause: 'x' } },
    ],
    /States.TaskFailed: x/,
  ],
  [
    'an execution that timed out',
    [scan('INFECTED', 'infected'), scan('CLEAN', 'clean', { Status: 'TIMED_OUT' })],
    /ended TIMED_OUT/,
  ],
])('%s: not detected, saying why', (_, scans, problem) => {
  const report = judgeCanary(scans, names);

  expect(report.detected).toBe(false);
  expect(report.scans.map((s) => s.problem).join(' ')).toMatch(problem);
});

test("an Express scan machine's StartSyncExecution result: the output is a string, a failure is in the result", () => {
  const express = (status: string, extra: object = {}) => ({
    expected: 'INFECTED' as const,
    execution: { Status: status, StartDate: 1_000.5, StopDate: 1_001, ...extra },
  });

  expect(
    judgeCanary(
      [express('SUCCEEDED', { Output: JSON.stringify({ status: 'infected' }) }), scan('CLEAN', 'clean')],
      names,
    ),
  ).toMatchObject({ detected: true, scans: [{ verdict: 'infected', latencyMs: 500 }, {}] });
  expect(
    judgeCanary(
      [express('FAILED', { Error: 'InvalidEventError', Cause: 'bad' }), scan('CLEAN', 'clean')],
      names,
    ).scans[0],
  ).toMatchObject({ problem: 'InvalidEventError: bad', latencyMs: 500 });
});

test('a canary missing one of its objects is not detected', () => {
  expect(judgeCanary([scan('INFECTED', 'infected')], names).detected).toBe(false);
});

test('a canary whose objects could not be written is not detected, and says so', () => {
  expect(judgeCanary([], names, 'the canary objects could not be written')).toEqual({
    detected: false,
    problem: 'the canary objects could not be written',
    latencyMs: undefined,
    scans: [],
  });
});

test.each([
  ['epoch seconds', 1_795_000_000.5, 1_795_000_001.75, 1250],
  ['epoch milliseconds', 1_795_000_000_500, 1_795_000_001_750, 1250],
  ['ISO 8601', '2026-11-30T10:00:00.500Z', '2026-11-30T10:00:01.750Z', 1250],
])('the dates of a .sync:2 result as %s give the latency', (_, start, stop, ms) => {
  expect(elapsedMs(start, stop)).toBe(ms);
});

test('dates that are missing or out of order give no latency', () => {
  expect(elapsedMs(undefined, 5)).toBeUndefined();
  expect(elapsedMs(10, 5)).toBeUndefined();
});
