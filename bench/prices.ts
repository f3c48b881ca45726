/**
 * Published AWS list prices, us-east-1 (US East, N. Virginia), on-demand, after any free tier,
 * first volume tier. The benchmark's cost section prices its measured counts with these and
 * nothing else. Each price names the page it was read on and the date; when AWS changes a price,
 * change it here (and the date), then run the benchmark again.
 */
export interface Price {
  /** US dollars per one unit. */
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  /** Where on the page, or how the figure follows from it. */
  readonly note?: string;
}

/** When the prices below were read. */
export const PRICES_READ_ON = '2026-11-30';

const STEP_FUNCTIONS = 'https://aws.amazon.com/step-functions/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const EVENTBRIDGE = 'https://aws.amazon.com/eventbridge/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const XRAY = 'https://aws.amazon.com/xray/pricing/';
const GUARDDUTY = 'https://aws.amazon.com/guardduty/pricing/';

export const PRICES = {
  standardTransition: {
    usd: 0.025 / 1000,
    unit: 'state transition',
    source: STEP_FUNCTIONS,
    note: '$0.025 per 1,000 state transitions; a transition each time a state is entered, retries included',
  },
  expressRequest: {
    usd: 1.0 / 1e6,
    unit: 'Express execution',
    source: STEP_FUNCTIONS,
    note: '$1.00 per 1M requests (executions started)',
  },
  expressGbSecond: {
    usd: 0.00001667,
    unit: 'GB-second of Express duration',
    source: STEP_FUNCTIONS,
    note: '$0.06 per GB-hour for the first 1,000 GB-hours a month; duration rounded up to 100 ms, memory billed in 64 MB chunks',
  },
  lambdaRequest: { usd: 0.2 / 1e6, unit: 'Lambda request', source: LAMBDA, note: '$0.20 per 1M requests' },
  lambdaGbSecondX86: {
    usd: 0.0000166667,
    unit: 'GB-second, x86_64',
    source: LAMBDA,
    note: 'first 6 billion GB-seconds a month; billed per 1 ms',
  },
  lambdaGbSecondArm64: {
    usd: 0.0000133334,
    unit: 'GB-second, arm64',
    source: LAMBDA,
    note: 'first 7.5 billion GB-seconds a month; billed per 1 ms',
  },
  s3PutClassRequest: {
    usd: 0.005 / 1000,
    unit: 'S3 PUT, COPY, POST or LIST request',
    source: S3,
    note: 'S3 Standard, $0.005 per 1,000; PutObjectTagging is a PUT request',
  },
  s3GetClassRequest: {
    usd: 0.0004 / 1000,
    unit: 'S3 GET, SELECT or other request',
    source: S3,
    note: 'S3 Standard, $0.0004 per 1,000; HEAD and GetObjectTagging are in this class',
  },
  s3TagMonth: {
    usd: 0.01 / 10_000,
    unit: 'object tag stored for a month',
    source: S3,
    note: 'Storage management, object tagging: $0.01 per 10,000 tags per month',
  },
  eventBridgeCustomEvent: {
    usd: 1.0 / 1e6,
    unit: 'event published (PutEvents, 64 KB chunk)',
    source: EVENTBRIDGE,
    note: 'custom events, $1.00 per million',
  },
  eventBridgeS3Event: {
    usd: 1.0 / 1e6,
    unit: 'S3 event ingested by the default bus',
    source: EVENTBRIDGE,
    note: 'the page counts S3 events as "AWS opt-in data events", not the free management events; priced as custom events, $1.00 per million (the one figure here not confirmed in the page text: check it). A bucket sending to EventBridge sends every event type: Object Created, and Object Tags Added for each tag write',
  },
  sqsRequest: {
    usd: 0.4 / 1e6,
    unit: 'SQS request (64 KB chunk)',
    source: SQS,
    note: 'standard queue, $0.40 per million after the first million a month',
  },
  pipesRequest: {
    usd: 0.4 / 1e6,
    unit: 'EventBridge Pipes request (64 KB chunk)',
    source: EVENTBRIDGE,
    note: 'Pipes: $0.40 per million requests entering a pipe after filtering',
  },
  logsIngestionGb: {
    usd: 0.5,
    unit: 'GB of logs ingested',
    source: CLOUDWATCH,
    note: 'Step Functions logs, and Lambda logs since May 2025, are vended logs: $0.50 per GB for the first 10 TB, as standard logs',
  },
  xrayTrace: {
    usd: 5.0 / 1e6,
    unit: 'X-Ray trace recorded',
    source: XRAY,
    note: '$5.00 per 1 million traces recorded after the first 100,000 a month',
  },
  guardDutyObject: {
    usd: 0.215 / 1000,
    unit: 'object evaluated by GuardDuty Malware Protection for S3',
    source: GUARDDUTY,
    note: '$0.215 per 1,000 objects evaluated; its S3 GET requests and, with tagging on, its tag writes and stored tag are billed by S3 on top',
  },
  guardDutyGb: {
    usd: 0.09,
    unit: 'GB scanned by GuardDuty Malware Protection for S3',
    source: GUARDDUTY,
    note: '$0.09 per GB scanned',
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
