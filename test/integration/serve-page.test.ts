import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { VERDICT_COLOURS } from '../../src/local/history-page';
import { SCAN_STATE_MACHINE } from '../../src/local/step-functions';
import { countPixels, decodePng, distinctColours } from '../support/png';
import { eventually, type Served, startServe } from '../support/serve';
import { EICAR } from '../support/signatures';

// The scan history page of `lambda-av serve`, rendered by a real browser: Debian's Chromium,
// headless, kept on 127.0.0.1 (every other host name resolves to nothing).

let root: string;
let served: Served;
let s3: S3Client;
const HOSTILE_KEY = 'page/<img src=x onerror=alert(1)>.txt';

function chromium(args: readonly string[]): Promise<string> {
  const flags = [
    '--headless',
    '--no-sandbox', // needed as root; the page is our own
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-proxy-server',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    `--user-data-dir=${path.join(root, `profile-${Math.random().toString(36).slice(2)}`)}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'chromium',
      [...flags, ...args],
      { timeout: 60_000, maxBuffer: 64 * 2 ** 20, env: { ...process.env, HOME: root } },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

async function statusTag(key: string): Promise<string | undefined> {
  const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: 'uploads', Key: key }));
  return TagSet.find((tag) => tag.Key === 'av-status')?.Value;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lambda-av-page-'));
  served = await startServe(['--test-signatures']);
  s3 = new S3Client({
    endpoint: served.env.AWS_ENDPOINT_URL_S3,
    region: 'us-east-1',
    credentials: {
      accessKeyId: served.env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: served.env.AWS_SECRET_ACCESS_KEY as string,
    },
    forcePathStyle: true,
  });
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'page/clean.txt', Body: 'nothing here' }));
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'page/eicar.com', Body: EICAR }));
  await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: HOSTILE_KEY, Body: 'a hostile name' }));
  for (const key of ['page/clean.txt', 'page/eicar.com', HOSTILE_KEY]) await eventually(() => statusTag(key));
}, 120_000);
afterAll(async () => {
  s3?.destroy();
  await served?.stop();
  await rm(root, { recursive: true, force: true });
});

function pageUrl(): string {
  const url = /scan history\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(served.cli.stdout())?.[1];
  if (!url) throw new Error(`serve printed no page address:\n${served.cli.stdout()}`);
  return url;
}

test('the page lists each scan with status, object, verdict, signature, duration and state history', async () => {
  const dom = await chromium(['--dump-dom', pageUrl()]);

  const rows = [...dom.matchAll(/<tr class="execution"[^>]*data-verdict="([A-Z_]+)"[^>]*>([\s\S]*?)<\/tr>/g)];
  const verdictOf = Object.fromEntries(
    rows.map((match) => [/<code>(s3:\/\/[^<]*)<\/code>/.exec(match[2] ?? '')?.[1], match[1]]),
  );
  const infected = rows.find((match) => match[1] === 'INFECTED')?.[2] ?? '';
  expect(verdictOf).toEqual({
    's3://uploads/page/clean.txt': 'CLEAN',
    's3://uploads/page/eicar.com': 'INFECTED',
    's3://uploads/page/&lt;img src=x onerror=alert(1)&gt;.txt': 'CLEAN',
  });
  expect(infected).toContain('Eicar-Test-Signature.UNOFFICIAL');
  expect(infected).toMatch(/SUCCEEDED/);
  expect(infected).toMatch(/\d+ ms \(scan \d+ ms\)/);
  // Each execution's history: the states it went through, as the Step Functions console shows.
  const states = Object.keys(JSON.parse(readFileSync(SCAN_STATE_MACHINE, 'utf8')).States);
  const entered = [...dom.matchAll(/<td>StateEntered<\/td><td>([^<]+)<\/td>/g)].map((match) => match[1]);
  expect(dom).toMatch(/State history \(\d+ events\)/);
  expect(new Set(entered).size).toBeGreaterThanOrEqual(2);
  expect(entered.filter((state) => !states.includes(state as string))).toEqual([]);
  expect(dom).toContain('<td>ExecutionSucceeded</td>');
  // An object key is text on the page, never markup.
  expect(dom).not.toMatch(/<img/i);
});

test('a screenshot shows the infected scan in red and the clean ones in green', async () => {
  const shot = path.join(root, 'page.png');

  await chromium(['--window-size=1280,900', `--screenshot=${shot}`, pageUrl()]);
  const image = decodePng(readFileSync(shot));

  expect([image.width, image.height]).toEqual([1280, 900]);
  expect(distinctColours(image)).toBeGreaterThan(50);
  // One INFECTED badge, two CLEAN ones; each about 170 x 32 pixels, minus its text.
  const red = countPixels(image, VERDICT_COLOURS.INFECTED);
  const green = countPixels(image, VERDICT_COLOURS.CLEAN);
  expect(red).toBeGreaterThan(2_500);
  expect(green).toBeGreaterThan(2 * 2_500);
  expect(green).toBeGreaterThan(1.5 * red);
});

test('the page links through every execution: following "older" from the first page reaches all of them once', async () => {
  const sfn = new SFNClient({
    endpoint: served.env.AWS_ENDPOINT_URL_SFN,
    region: 'us-east-1',
    credentials: {
      accessKeyId: served.env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: served.env.AWS_SECRET_ACCESS_KEY as string,
    },
  });
  // Scans of objects that do not exist end at once (ObjectNotFoundError): 210 executions more.
  for (let batch = 0; batch < 210; batch += 30) {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        sfn.send(
          new StartExecutionCommand({
            stateMachineArn: served.env.LAMBDA_AV_STATE_MACHINE_ARN,
            name: `paged-${batch + i}`,
            input: JSON.stringify({ bucket: 'uploads', key: `missing/${batch + i}` }),
          }),
        ),
      ),
    );
  }
  sfn.destroy();

  const seen: string[] = [];
  let url: string | undefined = pageUrl();
  let total = 0;
  while (url) {
    const dom = await chromium(['--dump-dom', url]);
    seen.push(
      ...[...dom.matchAll(/<tr class="execution" data-execution="([^"]+)"/g)].map(
        (match) => match[1] as string,
      ),
    );
    total = Number(/of (\d+) executions/.exec(dom)?.[1]);
    const older = /<a rel="next" href="([^"]+)">older<\/a>/.exec(dom)?.[1];
    url = older ? new URL(older, pageUrl()).toString() : undefined;
  }

  expect(total).toBeGreaterThanOrEqual(213);
  expect(seen).toHaveLength(total);
  expect(new Set(seen).size).toBe(total);
  expect(seen.filter((name) => name.startsWith('paged-'))).toHaveLength(210);
}, 180_000);
