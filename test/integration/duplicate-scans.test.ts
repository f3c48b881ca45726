import { GetObjectTaggingCommand, type Tag } from '@aws-sdk/client-s3';
import { SCAN_STATE_MACHINE } from '../../src/local/step-functions';
import type { ScanResult } from '../../src/scan/contract';
import { objectCreatedEvent } from '../support/events';
import { type Harness, startHarness, UPLOADS_BUCKET } from '../support/harness';
import { EICAR } from '../support/signatures';
import { functionArn, SCANNER_FUNCTION, startWorkflow, type Workflow } from '../support/workflow';

// EventBridge delivers at least once, so one upload can start two executions (and a client can
// call the scanner twice). Two scans of one object at once must leave one consistent tag set.
// Each scan reads the object's tags while clamd scans and writes them merged with its verdict;
// besides pairs left to run freely, the two orders that matter are forced on the tag requests
// (on lambda-av's S3 endpoint): both reads before either write, and one read after the other's write.

let h: Harness;
let wf: Workflow;

beforeAll(async () => {
  h = await startHarness();
  wf = await startWorkflow(
    { [SCANNER_FUNCTION]: (event) => h.handler(event) },
    {
      s3: h.s3.client,
      substitutions: { ScannerFunctionArn: functionArn(SCANNER_FUNCTION), MaxFileSize: '1048576' },
    },
  );
  await h.scanner.prepare();
});
afterAll(async () => {
  await wf.stop();
  await h.stop();
});

/** Eight tags of the owner's: with ours, the object holds S3's limit of ten. */
const OWNER_TAGS = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`owner-${i}`, `value ${i}`]));

/** How the two scans' tag requests on one object are ordered. */
type Order = 'free' | 'reads before writes' | 'second read after first write';
const ORDERS: readonly Order[] = ['free', 'reads before writes', 'second read after first write'];

interface Upload {
  readonly key: string;
  readonly infected: boolean;
  readonly order: Order;
}

/** Objects under `prefix`, clean and EICAR, each order for each. */
async function upload(prefix: string): Promise<Upload[]> {
  const objects = Array.from({ length: 12 }, (_, i) => ({
    key: `${prefix}/${i}.bin`,
    infected: i % 2 === 1,
    order: ORDERS[Math.floor(i / 2) % ORDERS.length] as Order,
  }));
  await Promise.all(
    objects.map(({ key, infected }) =>
      h.s3.put(UPLOADS_BUCKET, key, infected ? EICAR : `clean content of ${key}`, OWNER_TAGS),
    ),
  );
  return objects;
}

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open: () => open() };
}

/**
 * Holds the scanner's tag requests (on the S3 client it shares with the harness) so that each
 * object's pair of scans runs in its order. Returns what each object's reads saw, and a remover.
 */
function orderTagRequests(objects: readonly Upload[]) {
  const seen = new Map<string, Tag[][]>();
  const state = new Map(
    objects.map((o) => [
      o.key,
      { order: o.order, reads: 0, readsDone: 0, bothRead: gate(), firstWrite: gate() },
    ]),
  );
  h.s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: string }).Key ?? '';
      const object = state.get(key);
      if (!object) return next(args);
      if (context.commandName === 'GetObjectTaggingCommand') {
        const nth = ++object.reads;
        if (object.order === 'second read after first write' && nth === 2) await object.firstWrite.promise;
        const result = await next(args);
        seen.set(key, [...(seen.get(key) ?? []), (result.output as { TagSet?: Tag[] }).TagSet ?? []]);
        if (++object.readsDone === 2) object.bothRead.open();
        return result;
      }
      if (context.commandName === 'PutObjectTaggingCommand') {
        if (object.order === 'reads before writes') await object.bothRead.promise;
        const result = await next(args);
        object.firstWrite.open();
        return result;
      }
      return next(args);
    },
    { step: 'initialize', name: 'orderTagRequests' },
  );
  return { seen, remove: () => h.s3.client.middlewareStack.remove('orderTagRequests') };
}

/** The tag set exactly as S3 returns it: a key written twice would show twice here. */
async function tagSet(key: string): Promise<Tag[]> {
  const response = await h.s3.client.send(new GetObjectTaggingCommand({ Bucket: UPLOADS_BUCKET, Key: key }));
  return response.TagSet ?? [];
}

async function expectOneConsistentTagSet(
  object: Upload,
  pair: readonly ScanResult[],
  seen: readonly Tag[][],
) {
  const expected = object.infected ? 'INFECTED' : 'CLEAN';
  expect(pair.map((result) => [result.status, result.error])).toEqual([
    [expected, undefined],
    [expected, undefined],
  ]);
  const tags = await tagSet(object.key);
  expect(tags.map((tag) => tag.Key).sort()).toEqual(
    [...Object.keys(OWNER_TAGS), 'av-status', 'av-timestamp'].sort(),
  );
  const values = Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
  expect(values).toMatchObject({ ...OWNER_TAGS, 'av-status': expected });
  expect(pair.map((result) => String(result.timestamp))).toContain(values['av-timestamp']);
  // The forced orders did happen: what each scan read before writing.
  const sawOurs = seen.map((read) => read.some((tag) => tag.Key === 'av-status'));
  if (object.order === 'reads before writes') expect(sawOurs).toEqual([false, false]);
  if (object.order === 'second read after first write') expect(sawOurs).toEqual([false, true]);
}

test('two scan executions started at once on the same EventBridge event: one tag set, the same verdict, no error', async () => {
  const objects = await upload('twice-by-event');
  const events = await Promise.all(
    objects.map(({ key }) => objectCreatedEvent(h.s3.client, UPLOADS_BUCKET, key)),
  );
  const { seen, remove } = orderTagRequests(objects);

  const runs = await Promise.all(
    events.map((event) =>
      Promise.all([wf.run(SCAN_STATE_MACHINE, event), wf.run(SCAN_STATE_MACHINE, event)]),
    ),
  ).finally(remove);

  for (const [i, object] of objects.entries()) {
    const pair = runs[i] ?? [];
    expect(pair.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(pair.flatMap((run) => run.events.filter((e) => e.type === 'StateFailed'))).toEqual([]);
    await expectOneConsistentTagSet(
      object,
      pair.map((run) => run.output as ScanResult),
      seen.get(object.key) ?? [],
    );
  }
});

test('two direct invocations of the scanner at once on one object: one tag set, the same verdict, no error', async () => {
  const objects = await upload('twice-direct');
  const { seen, remove } = orderTagRequests(objects);

  const pairs = (await Promise.all(
    objects.map(({ key }) =>
      Promise.all([h.handler({ bucket: UPLOADS_BUCKET, key }), h.handler({ bucket: UPLOADS_BUCKET, key })]),
    ),
  ).finally(remove)) as ScanResult[][];

  for (const [i, object] of objects.entries()) {
    await expectOneConsistentTagSet(object, pairs[i] ?? [], seen.get(object.key) ?? []);
  }
});
