import type { CostResult } from '../sections/cost';
import { type Architecture, costPerObject, guardDutyPerObject, type ScanUsage } from './cost-model';
import type { Table } from './table';

const PATH_NAMES: Readonly<Record<ScanUsage['path'], string>> = {
  'standard-event': 'Standard, upload event',
  'standard-request': 'Standard, client request',
  'express-event': 'Express, upload event via queue',
};

export const pathName = (path: ScanUsage['path']) => PATH_NAMES[path];

/** US dollars per million objects. */
export const perMillion = (usd: number) => (usd * 1e6).toFixed(2);

export function costOf(cost: CostResult, usage: ScanUsage, architecture: Architecture = 'x86_64') {
  return costPerObject(usage, cost.prices, {
    architecture,
    memoryMiB: cost.memoryMiB,
    expressMemoryMiB: cost.expressMemoryMiB,
  });
}

const sum = (requests: Readonly<Record<string, number>>, operations: readonly string[]) =>
  operations.reduce((total, operation) => total + (requests[operation] ?? 0), 0);
const one = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

/** The cost section's tables: what a scan uses, what a million cost, the prices used. */
export function costTables(cost: CostResult): Table[] {
  const usage: Table = {
    title: `6a. What one scan uses (${cost.engine} set, random content; per scan)`,
    columns: [
      'workflow',
      'size',
      'runs',
      'states entered',
      'execution ms',
      'Lambda calls',
      'Lambda billed ms',
      'S3 GET/HEAD',
      'S3 PUT/LIST',
      'bucket events',
      'SQS + pipe requests',
      'log KiB (Lambda + Step Functions)',
      'tags added',
    ],
    rows: cost.usage.map((u) => [
      pathName(u.path),
      u.size,
      String(u.runs),
      one(u.transitions),
      u.executionMs.toFixed(0),
      one(u.lambdaInvocations),
      u.lambdaBilledMs.toFixed(0),
      one(sum(u.requests, ['S3.GetObject', 'S3.HeadObject', 'S3.GetObjectTagging'])),
      one(sum(u.requests, ['S3.PutObjectTagging', 'S3.PutObject', 'S3.CopyObject', 'S3.ListObjectsV2'])),
      one(u.bucketEvents),
      one(u.queueRequests + u.pipeRequests),
      `${(u.logBytes.lambda / 1024).toFixed(1)} + ${(u.logBytes.stepFunctions / 1024).toFixed(1)}`,
      one(u.tagsAdded),
    ]),
    notes: [
      'Requests by operation: ' +
        [...new Set(cost.usage.flatMap((u) => Object.keys(u.requests)))].sort().join(', ') +
        '. SQS and pipe requests come from the design (no local SQS): SendMessage by the rule, ReceiveMessage and DeleteMessage by the pipe (batch size 1), one pipe request.',
    ],
  };
  const million: Table = {
    title: `6b. Cost per million objects, USD, us-east-1 list prices of ${cost.pricesReadOn} (scanner ${cost.memoryMiB} MB, x86_64 unless named)`,
    columns: [
      'workflow',
      'size',
      'Step Functions',
      'Lambda',
      'S3 requests',
      'EventBridge',
      'SQS + Pipes',
      'logs',
      'X-Ray',
      'tags, 1 month',
      'total x86_64',
      'total arm64',
      'GuardDuty',
      'ours / GuardDuty',
    ],
    rows: cost.usage.map((u) => {
      const x86 = costOf(cost, u, 'x86_64');
      const arm = costOf(cost, u, 'arm64');
      const managed = guardDutyPerObject(u.bytes, cost.prices);
      return [
        pathName(u.path),
        u.size,
        perMillion(x86.stepFunctions),
        perMillion(x86.lambda),
        perMillion(x86.s3Requests),
        perMillion(x86.events),
        perMillion(x86.queue),
        perMillion(x86.logs),
        perMillion(x86.tracing),
        perMillion(x86.tags),
        perMillion(x86.total),
        perMillion(arm.total),
        perMillion(managed),
        `${((x86.total / managed) * 100).toFixed(1)} %`,
      ];
    }),
    notes: [
      "GuardDuty: Malware Protection for S3's published price for the same objects (per object evaluated + per GB scanned); its own S3 requests and tags are billed by S3 on top and are not in its column.",
      'arm64 assumes the same scan duration as measured here (x86_64); lambda.zip is built for x86_64.',
      'Not per object and not included: the warmer, the update workflow and its canary, alarms, the dashboard, custom metrics, log storage, and free tiers.',
    ],
  };
  const prices: Table = {
    title: `6c. Prices used (us-east-1, read on ${cost.pricesReadOn}; bench/prices.ts)`,
    columns: ['price', 'USD', 'per', 'source', 'note'],
    rows: Object.entries(cost.prices).map(([name, price]) => [
      name,
      price.usd < 0.001 ? price.usd.toExponential(4) : String(price.usd),
      price.unit,
      price.source,
      price.note ?? '',
    ]),
  };
  return [usage, million, prices];
}
