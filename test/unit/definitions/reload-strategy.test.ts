import { chooseReloadMethod, RELOAD_HEADROOM_BYTES } from '../../../src/definitions/reload-strategy';

const MiB = 2 ** 20;
const base = { clamdBytes: 1000 * MiB, processBytes: 100 * MiB, limitBytes: 2048 * MiB };

test('an explicit setting is kept whatever the memory', () => {
  expect(chooseReloadMethod({ ...base, setting: 'concurrent', limitBytes: 1 })).toBe('concurrent');
  expect(chooseReloadMethod({ ...base, setting: 'restart', limitBytes: 10_000 * MiB })).toBe('restart');
});

test('auto reloads concurrently exactly when two engines, the process and the headroom fit', () => {
  const needed = 2 * base.clamdBytes + base.processBytes + RELOAD_HEADROOM_BYTES;

  expect(chooseReloadMethod({ ...base, setting: 'auto', limitBytes: needed })).toBe('concurrent');
  expect(chooseReloadMethod({ ...base, setting: 'auto', limitBytes: needed - 1 })).toBe('restart');
});

test('auto restarts when clamd’s memory is unknown', () => {
  expect(
    chooseReloadMethod({ ...base, setting: 'auto', clamdBytes: undefined, limitBytes: 10_000 * MiB }),
  ).toBe('restart');
});
