import { RELOAD_HEADROOM_BYTES } from '../../src/definitions/reload-strategy';
import type { ScannerOptions } from '../../src/scan/scanner';
import { deferred } from '../support/deferred';
import {
  DEFINITIONS_BUCKET,
  DEFINITIONS_PREFIX,
  type Harness,
  silentLogger,
  startHarness,
  UPLOADS_BUCKET,
} from '../support/harness';
import { bodySignature } from '../support/signatures';

const MARKER = 'warm refresh marker 42';

let h: Harness | undefined;
let clock = Date.now();
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function scannerWith(
  strategy: 'concurrent' | 'restart',
  logger: ScannerOptions['logger'] = silentLogger,
): Promise<Harness> {
  clock = Date.now();
  h = await startHarness({ env: { CLAMD_RELOAD_STRATEGY: strategy }, now: () => clock, logger });
  return h;
}

test('restart strategy: a scan in flight finishes on the old set, then clamd restarts on the new one', async () => {
  // The in-flight scan's first request waits until the refresh is waiting for it: each step
  // happens on an event, whatever the machine's speed.
  const slowRequestStarted = deferred();
  const restartWaiting = deferred<unknown>();
  const s = await scannerWith('restart', {
    ...silentLogger,
    info: (message: unknown, ...fields: unknown[]) => {
      if (message === 'clamd restarts once the scans in flight are done') restartWaiting.resolve(fields[0]);
    },
  });
  await s.s3.put(UPLOADS_BUCKET, 'slow/in-flight.txt', MARKER);
  await s.s3.put(UPLOADS_BUCKET, 'trigger.txt', MARKER);
  let held = false;
  s.s3.client.middlewareStack.add(
    (next) => async (args) => {
      if (!held && (args.input as { Key?: string }).Key?.startsWith('slow/')) {
        held = true;
        slowRequestStarted.resolve();
        await restartWaiting.promise;
      }
      return next(args);
    },
    { step: 'initialize', name: 'holdSlowObject' },
  );
  await s.scanner.prepare();
  const pid = s.scanner.engine.daemon.pid;
  await s.s3.put(DEFINITIONS_BUCKET, `${DEFINITIONS_PREFIX}/new.ndb`, `${bodySignature('Marker', MARKER)}\n`);

  const inFlight = s.handler({ bucket: UPLOADS_BUCKET, key: 'slow/in-flight.txt' });
  await slowRequestStarted.promise;
  clock += 301_000;
  const trigger = await s.handler({ bucket: UPLOADS_BUCKET, key: 'trigger.txt' });

  expect(await restartWaiting.promise).toEqual({ scans: 1 });
  expect(await inFlight).toMatchObject({ status: 'CLEAN' });
  expect(trigger).toMatchObject({ status: 'INFECTED', signature: 'Marker.UNOFFICIAL' });
  expect(s.scanner.engine.daemon.pid).not.toBe(pid);
  expect(s.metrics.daemonStarts).toHaveLength(2);
});

test('concurrent strategy: a set clamd refuses on reload leaves the scanner on its previous definitions', async () => {
  const s = await scannerWith('concurrent');
  await s.s3.put(
    UPLOADS_BUCKET,
    'eicar.com',
    'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*',
  );
  await s.scanner.prepare();
  const pid = s.scanner.engine.daemon.pid;
  const before = await s.scanner.engine.definitionsDir.active();
  await s.s3.put(DEFINITIONS_BUCKET, `${DEFINITIONS_PREFIX}/broken.ndb`, 'not a signature\n');

  clock += 301_000;
  const refresh = await s.scanner.refresh();
  const result = await s.handler({ bucket: UPLOADS_BUCKET, key: 'eicar.com' });

  expect(refresh.refreshed).toBe(false);
  expect(result).toMatchObject({ status: 'INFECTED' });
  expect(s.scanner.engine.daemon.pid).toBe(pid);
  expect((await s.scanner.engine.definitionsDir.active())?.id).toBe(before?.id);
});

test('restart strategy: a set clamd refuses leaves clamd running on the previous definitions', async () => {
  const s = await scannerWith('restart');
  await s.scanner.prepare();
  const before = await s.scanner.engine.definitionsDir.active();
  await s.s3.put(DEFINITIONS_BUCKET, `${DEFINITIONS_PREFIX}/broken.ndb`, 'not a signature\n');

  clock += 301_000;
  const refresh = await s.scanner.refresh();

  expect(refresh.refreshed).toBe(false);
  expect(s.scanner.engine.daemon.isAlive()).toBe(true);
  expect((await s.scanner.engine.definitionsDir.active())?.id).toBe(before?.id);
  await s.s3.put(UPLOADS_BUCKET, 'x.txt', 'hello');
  expect(await s.handler({ bucket: UPLOADS_BUCKET, key: 'x.txt' })).toMatchObject({ status: 'CLEAN' });
});

/** What a concurrent reload needs, as src/definitions/reload-strategy.ts counts it, in MiB. */
async function concurrentReloadNeedsMiB(s: Harness): Promise<number> {
  const clamd = (await s.scanner.engine.daemon.residentBytes()) ?? 0;
  return (2 * clamd + process.memoryUsage().rss + RELOAD_HEADROOM_BYTES) / 2 ** 20;
}

test.each([
  { memoryMb: 256, expected: 'restart' },
  { memoryMb: 10_240, expected: 'concurrent' },
] as const)(
  'auto strategy at $memoryMb MB reloads by $expected: a second engine that does not fit in memory falls back to a restart',
  async ({ memoryMb, expected }) => {
    clock = Date.now();
    const s = await startHarness({
      env: { CLAMD_RELOAD_STRATEGY: 'auto', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb) },
      now: () => clock,
    });
    h = s;
    await s.s3.put(UPLOADS_BUCKET, 'marked.txt', MARKER);
    await s.scanner.prepare();
    const pid = s.scanner.engine.daemon.pid;
    const needs = await concurrentReloadNeedsMiB(s);
    await s.s3.put(
      DEFINITIONS_BUCKET,
      `${DEFINITIONS_PREFIX}/new.ndb`,
      `${bodySignature('Marker', MARKER)}\n`,
    );

    clock += 301_000;
    const refresh = await s.scanner.refresh();
    const result = await s.handler({ bucket: UPLOADS_BUCKET, key: 'marked.txt' });

    // The memory given is on the side of the threshold the case is about, by clamd's real size.
    expect(needs > memoryMb).toBe(expected === 'restart');
    expect(refresh).toMatchObject({ refreshed: true, strategy: expected });
    expect(result).toMatchObject({ status: 'INFECTED', signature: 'Marker.UNOFFICIAL' });
    if (expected === 'restart') expect(s.scanner.engine.daemon.pid).not.toBe(pid);
    else expect(s.scanner.engine.daemon.pid).toBe(pid);
  },
);
