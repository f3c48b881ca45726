import { loadConfig } from '../../../src/config';
import type { ExecutionRecord } from '../../../src/local/execution-store';
import { renderHistoryPage, summarise } from '../../../src/local/history-page';
import { objectCreatedEvent } from '../../../src/local/object-created-event';

const names = loadConfig({ CLAMAV_BUCKET_NAME: 'b', FILE_STATUS_INFECTED: 'BAD' }).statusNames;

function execution(overrides: Partial<ExecutionRecord>): ExecutionRecord {
  return {
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:lambda-av-scan:one',
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:lambda-av-scan',
    name: 'one',
    input: '{}',
    status: 'SUCCEEDED',
    startDate: 1_000,
    stopDate: 1_250,
    events: [],
    ...overrides,
  };
}

test('a scan started by an upload shows its decoded key, verdict (as configured), signature and durations', () => {
  const row = summarise(
    execution({
      input: JSON.stringify(
        objectCreatedEvent({ bucket: 'uploads', key: 'a b.com', eventName: 'ObjectCreated:Put' }),
      ),
      output: JSON.stringify({ status: 'BAD', signature: 'Eicar-Test-Signature', durationMs: 12 }),
    }),
    names,
  );

  expect(row).toMatchObject({
    stateMachine: 'lambda-av-scan',
    object: 's3://uploads/a b.com',
    verdict: 'BAD',
    canonicalVerdict: 'INFECTED',
    signature: 'Eicar-Test-Signature',
    durationMs: 250,
    scanMs: 12,
  });
});

test('a failed execution shows its error and no verdict', () => {
  const row = summarise(
    execution({ input: '{"bucket":"u","key":"k"}', status: 'FAILED', error: 'DaemonStartupError' }),
    names,
  );

  expect(row).toMatchObject({ object: 's3://u/k', status: 'FAILED', error: 'DaemonStartupError' });
  expect(row.verdict).toBeUndefined();
});

test('everything taken from an execution is escaped on the page', () => {
  const html = renderHistoryPage(
    [
      execution({
        input: JSON.stringify({ bucket: 'u', key: '<script>alert(1)</script>' }),
        output: JSON.stringify({ status: 'CLEAN' }),
        events: [{ type: 'StateFailed', state: 'Scan', error: '"><b>x</b>', timestamp: 1_100 }],
      }),
    ],
    names,
  );

  expect(html).not.toContain('<script>');
  expect(html).not.toContain('<b>x</b>');
  expect(html).toContain('s3://u/&#60;script&#62;alert(1)&#60;/script&#62;');
  expect(html).toContain('<td>100</td><td>StateFailed</td><td>Scan</td>');
});
