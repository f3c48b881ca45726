import type { S3Client } from '@aws-sdk/client-s3';
import {
  DefinitionsRefresher,
  type RefreshDaemon,
  type RefreshDirectory,
  type RefreshSettings,
} from '../../../src/definitions/refresher';
import type { DefinitionsSet } from '../../../src/definitions/store';

const MiB = 2 ** 20;

function set(id: string): DefinitionsSet {
  return { id, files: [] } as unknown as DefinitionsSet;
}

/** A clamd and a definitions directory in memory, recording what the refresher does to them. */
function fixture(
  options: { settings?: Partial<RefreshSettings>; published?: string; clamdBytes?: number } = {},
) {
  const calls: string[] = [];
  let active: DefinitionsSet | undefined = set('old');
  let alive = true;
  let clock = 0;
  let published = options.published ?? 'new';
  const daemon: RefreshDaemon = {
    reload: jest.fn(async () => {
      calls.push('reload');
    }),
    stop: jest.fn(async () => {
      calls.push('stop');
      alive = false;
    }),
    ensureRunning: jest.fn(async () => {
      calls.push('start');
      const started = !alive;
      alive = true;
      return started ? { started, startupMs: 7 } : { started };
    }),
    isAlive: () => alive,
    residentBytes: async () => options.clamdBytes ?? 100 * MiB,
  };
  const directory: RefreshDirectory = {
    active: async () => active,
    activeDir: async () => (active ? `/defs/${active.id}` : undefined),
    sync: jest.fn(async (_s3, _location, next: DefinitionsSet) => {
      calls.push(`sync ${next.id}`);
      active = next;
      return { changed: true, set: next, downloaded: ['x.ndb'] };
    }),
    activate: jest.fn(async (_dir: string, previous: DefinitionsSet) => {
      calls.push(`activate ${previous.id}`);
      active = previous;
    }),
    prune: jest.fn(async () => {}),
  };
  const started: number[] = [];
  const log = { info: jest.fn(), error: jest.fn() };
  const refresher = new DefinitionsRefresher({
    daemon,
    directory,
    s3: {} as S3Client,
    location: { bucket: 'defs', prefix: '' },
    settings: {
      definitionsCheckIntervalSeconds: 300,
      definitionsDownloadTimeoutMs: 1000,
      reloadStrategy: 'auto',
      memoryLimitMb: 2048,
      ...options.settings,
    },
    published: async () => set(published),
    describe: async () => `ClamAV (set ${active?.id})`,
    onDaemonStarted: (ms) => started.push(ms),
    log,
    now: () => clock,
    processBytes: () => 200 * MiB,
  });
  return {
    refresher,
    daemon,
    calls,
    started,
    log,
    advance: (ms: number) => {
      clock += ms;
    },
    publish: (id: string) => {
      published = id;
    },
  };
}

test('a check is due once the interval has passed since the last one', () => {
  const { refresher, advance } = fixture({ settings: { definitionsCheckIntervalSeconds: 60 } });
  refresher.markChecked();

  advance(59_999);
  const early = refresher.checkDue();
  advance(1);

  expect(early).toBe(false);
  expect(refresher.checkDue()).toBe(true);
});

test('an interval of 0 makes every call a check', () => {
  const { refresher } = fixture({ settings: { definitionsCheckIntervalSeconds: 0 } });
  refresher.markChecked();

  expect(refresher.checkDue()).toBe(true);
});

test('the set already loaded is not downloaded again', async () => {
  const { refresher, calls } = fixture({ published: 'old' });

  const result = await refresher.refresh();

  expect(result.refreshed).toBe(false);
  expect(calls).toEqual([]);
});

test('a new set is reloaded concurrently when a second engine fits in memory', async () => {
  const { refresher, calls } = fixture({ clamdBytes: 100 * MiB });

  const result = await refresher.refresh();

  expect(result).toEqual({ refreshed: true, strategy: 'concurrent', definitions: 'ClamAV (set new)' });
  expect(calls).toEqual(['sync new', 'reload']);
  expect(refresher.definitions).toBe('ClamAV (set new)');
});

test('a new set restarts clamd when a second engine does not fit, reporting the start', async () => {
  const { refresher, calls, started } = fixture({ clamdBytes: 1500 * MiB });

  const result = await refresher.refresh();

  expect(result.strategy).toBe('restart');
  expect(calls).toEqual(['sync new', 'stop', 'start']);
  expect(started).toEqual([7]);
});

test('concurrent refreshes share one switch', async () => {
  const { refresher, daemon } = fixture();

  const [a, b] = await Promise.all([refresher.refresh(), refresher.refresh()]);

  expect(a).toBe(b);
  expect(daemon.reload).toHaveBeenCalledTimes(1);
});

test('a restart waits for the scans in flight, and new scans wait for the restart', async () => {
  const { refresher, calls } = fixture({ settings: { reloadStrategy: 'restart' } });
  let finishScan = () => {};
  const scan = refresher.track(
    () =>
      new Promise<void>((resolve) => {
        finishScan = () => {
          calls.push('scan done');
          resolve();
        };
      }),
  );

  const refresh = refresher.refresh();
  await new Promise((resolve) => setImmediate(resolve));
  const waiting = refresher.gate().then(() => calls.push('gate open'));
  await new Promise((resolve) => setImmediate(resolve));
  const beforeDrain = [...calls];
  finishScan();
  await Promise.all([scan, refresh, waiting]);

  expect(beforeDrain).toEqual(['sync new']);
  expect(calls).toEqual(['sync new', 'scan done', 'stop', 'start', 'gate open']);
});

test('a failed reload goes back to the previous set and keeps scanning with it', async () => {
  const { refresher, daemon, calls, log } = fixture({ settings: { reloadStrategy: 'concurrent' } });
  await refresher.describeLoaded();
  (daemon.reload as jest.Mock).mockRejectedValueOnce(new Error('engine failed to load'));

  const result = await refresher.refresh();

  expect(result).toEqual({ refreshed: false, definitions: 'ClamAV (set old)' });
  expect(calls).toEqual(['sync new', 'activate old']);
  expect(log.error).toHaveBeenCalledWith(
    'definitions refresh failed; scanning goes on with the loaded definitions',
    expect.objectContaining({ error: 'engine failed to load' }),
  );
});

test('a failed restart starts clamd again on the previous set', async () => {
  const { refresher, daemon, calls } = fixture({ settings: { reloadStrategy: 'restart' } });
  (daemon.ensureRunning as jest.Mock).mockRejectedValueOnce(new Error('no PONG'));

  const result = await refresher.refresh();

  expect(result.refreshed).toBe(false);
  expect(calls).toEqual(['sync new', 'stop', 'activate old', 'start']);
});
