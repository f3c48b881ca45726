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

test('the page shows 100 executions at a time, with links to the newer and older pages, so every one can be reached', () => {
  const executions = Array.from({ length: 250 }, (_, i) =>
    execution({
      name: `e${i}`,
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:lambda-av-scan:e${i}`,
    }),
  );
  const shown = (html: string) => [...html.matchAll(/data-execution="(e\d+)"/g)].map((match) => match[1]);

  const pages = [1, 2, 3].map((page) => renderHistoryPage(executions, names, { page }));

  expect(pages.flatMap(shown)).toEqual(executions.map((e) => e.name));
  expect(pages[0]).toContain('1–100 of 250 executions');
  expect(pages[0]).toContain('<a rel="next" href="/?page=2">older</a>');
  expect(pages[0]).not.toContain('rel="prev"');
  expect(pages[1]).toContain('<a rel="prev" href="/?page=1">newer</a>');
  expect(pages[2]).toContain('201–250 of 250 executions');
  expect(pages[2]).not.toContain('rel="next"');
  // A page past the end shows the last one.
  expect(shown(renderHistoryPage(executions, names, { page: 9 }))).toEqual(shown(pages[2] as string));
});
