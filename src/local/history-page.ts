import { decodeEventKey } from '../handlers/scan-event';
import type { Verdict } from '../scan/contract';
import { describeUnscannable, unscannableOfResult } from '../scan/unscannable';
import type { StatusNames } from '../settings';
import type { ExecutionRecord } from './execution-store';

/** What one row of the page shows about an execution. */
export interface ExecutionSummary {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachine: string;
  readonly status: ExecutionRecord['status'];
  readonly startDate: number;
  /** From start to stop, when it ended. */
  readonly durationMs?: number;
  readonly object?: string;
  /** The verdict's configured name, as the result and the tag carry it. */
  readonly verdict?: string;
  /** Which of the four verdicts that name is, for the colour. */
  readonly canonicalVerdict?: Verdict;
  readonly signature?: string;
  /** The scanner's own time for the object (the result's durationMs). */
  readonly scanMs?: number;
  /** Why clamd could not scan it completely, when it could not (`encrypted`, `limit MaxFiles exceeded`). */
  readonly notFullyScanned?: string;
  readonly error?: string;
}

/** The row of an execution: its object from the input, its verdict from the output. */
export function summarise(execution: ExecutionRecord, names: StatusNames): ExecutionSummary {
  const input = parseJson(execution.input);
  const output = parseJson(execution.output);
  const object = objectOf(input);
  const verdict = typeof output?.status === 'string' ? output.status : undefined;
  const canonical = (Object.keys(names) as Verdict[]).find((key) => names[key] === verdict);
  const error = execution.error ?? (typeof output?.error === 'string' ? output.error : undefined);
  const unscannable = output ? unscannableOfResult(output) : undefined;
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    stateMachine: execution.stateMachineArn.split(':').pop() ?? '',
    status: execution.status,
    startDate: execution.startDate,
    ...(execution.stopDate ? { durationMs: execution.stopDate - execution.startDate } : {}),
    ...(object ? { object } : {}),
    ...(verdict ? { verdict } : {}),
    ...(canonical ? { canonicalVerdict: canonical } : {}),
    ...(typeof output?.signature === 'string' ? { signature: output.signature } : {}),
    ...(typeof output?.durationMs === 'number' ? { scanMs: output.durationMs } : {}),
    ...(unscannable ? { notFullyScanned: describeUnscannable(unscannable) } : {}),
    ...(error ? { error } : {}),
  };
}

/** The background of each verdict's badge: green, red, orange, amber, purple. */
export const VERDICT_COLOURS: Readonly<Record<Verdict, string>> = {
  CLEAN: '#1e8e3e',
  INFECTED: '#d93025',
  UNSCANNABLE: '#e8710a',
  SKIPPED: '#f9ab00',
  PROCESSING_ERROR: '#7b1fa2',
};

const STYLE = `
body { font: 15px/1.4 system-ui, sans-serif; margin: 24px; color: #1d1d1f; background: #ffffff; }
h1 { font-size: 22px; margin: 0 0 4px; }
p.meta { color: #555; margin: 0 0 16px; }
table.executions { border-collapse: collapse; width: 100%; }
table.executions > thead th { text-align: left; border-bottom: 2px solid #444; padding: 6px 8px; }
tr.execution > td { border-top: 1px solid #ccc; padding: 8px; vertical-align: top; }
tr.history > td { padding: 0 8px 8px 32px; }
.badge { display: inline-block; min-width: 150px; padding: 6px 10px; border-radius: 4px; font-weight: 600; text-align: center; }
${(Object.entries(VERDICT_COLOURS) as Array<[Verdict, string]>)
  .map(
    ([verdict, colour]) =>
      `.verdict-${verdict} { background: ${colour}; color: ${verdict === 'SKIPPED' ? '#000000' : '#ffffff'}; }`,
  )
  .join('\n')}
.status { font-weight: 600; }
.status-FAILED, .status-ABORTED { color: #d93025; }
.status-RUNNING { color: #1a73e8; }
code { font-size: 13px; }
table.events { border-collapse: collapse; margin-top: 6px; }
table.events td, table.events th { padding: 2px 10px 2px 0; text-align: left; font-size: 13px; }
`;

/** Executions on one page of the history. */
export const PAGE_SIZE = 100;

/**
 * The local scan history, as the Step Functions console shows executions in AWS: the most
 * recent first, each with its status, object, verdict, signature and duration, and its state
 * history, 100 to a page with links to the newer and older pages, so every execution can be
 * reached. Server-rendered HTML, no script; every value from an execution is escaped.
 */
export function renderHistoryPage(
  executions: readonly ExecutionRecord[],
  names: StatusNames,
  options: { readonly endpoints?: Readonly<Record<string, string>>; readonly page?: number } = {},
): string {
  const pages = Math.max(1, Math.ceil(executions.length / PAGE_SIZE));
  const page = Math.min(Math.max(1, options.page ?? 1), pages);
  const first = (page - 1) * PAGE_SIZE;
  const shown = executions.slice(first, first + PAGE_SIZE);
  const range = shown.length === 0 ? '0' : `${first + 1}–${first + shown.length}`;
  const links = [
    page > 1 ? `<a rel="prev" href="/?page=${page - 1}">newer</a>` : '',
    page < pages ? `<a rel="next" href="/?page=${page + 1}">older</a>` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const rows = shown.map((execution) => renderExecution(execution, summarise(execution, names))).join('\n');
  const endpoints = Object.entries(options.endpoints ?? {})
    .map(([name, url]) => `${escapeHtml(name)} <code>${escapeHtml(url)}</code>`)
    .join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lambda-av: local scan history</title>
<style>${STYLE}</style></head>
<body>
<h1>lambda-av: local scan history</h1>
<p class="meta">${range} of ${executions.length} executions, most recent first (page ${page} of ${pages}) · <a href="/?page=${page}">refresh</a>${links ? ` · <span class="pages">${links}</span>` : ''}${endpoints ? ` · ${endpoints}` : ''}</p>
<table class="executions">
<thead><tr><th>Started</th><th>State machine</th><th>Status</th><th>Object</th><th>Verdict</th><th>Signature</th><th>Duration</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7">No executions yet: upload an object to a scanned bucket, or start one.</td></tr>'}
</tbody>
</table>
</body></html>
`;
}

function renderExecution(execution: ExecutionRecord, row: ExecutionSummary): string {
  const verdict = row.verdict
    ? `<span class="badge verdict-${row.canonicalVerdict ?? 'PROCESSING_ERROR'}">${escapeHtml(row.verdict)}</span>`
    : '';
  const duration =
    row.durationMs === undefined
      ? ''
      : `${row.durationMs} ms${row.scanMs !== undefined ? ` (scan ${row.scanMs} ms)` : ''}`;
  return `<tr class="execution" data-execution="${escapeHtml(row.name)}" data-status="${row.status}"${row.canonicalVerdict ? ` data-verdict="${row.canonicalVerdict}"` : ''}>
<td>${new Date(row.startDate).toISOString()}</td>
<td>${escapeHtml(row.stateMachine)}<br><code>${escapeHtml(row.name)}</code></td>
<td><span class="status status-${row.status}">${row.status}</span>${row.error ? `<br>${escapeHtml(row.error)}` : ''}</td>
<td>${row.object ? `<code>${escapeHtml(row.object)}</code>` : ''}</td>
<td>${verdict}</td>
<td>${row.signature ? escapeHtml(row.signature) : ''}${row.notFullyScanned ? `<br>not fully scanned: ${escapeHtml(row.notFullyScanned)}` : ''}</td>
<td>${duration}</td>
</tr>
<tr class="history"><td colspan="7"><details><summary>State history (${execution.events.length} events)</summary>
<table class="events"><tr><th>+ms</th><th>event</th><th>state</th><th>detail</th></tr>
${execution.events.map((event) => `<tr><td>${event.timestamp === undefined ? '' : event.timestamp - execution.startDate}</td><td>${escapeHtml(event.type)}</td><td>${escapeHtml(event.state ?? '')}</td><td>${escapeHtml([event.error, event.cause].filter(Boolean).join(': '))}</td></tr>`).join('\n')}
</table></details></td></tr>`;
}

function objectOf(input: Record<string, unknown> | undefined): string | undefined {
  if (!input) return undefined;
  const detail = asRecord(input.detail);
  if (detail) {
    const bucket = asRecord(detail.bucket)?.name;
    const key = asRecord(detail.object)?.key;
    if (typeof bucket === 'string' && typeof key === 'string') {
      try {
        return `s3://${bucket}/${decodeEventKey(key)}`;
      } catch {
        return `s3://${bucket}/${key}`;
      }
    }
  }
  return typeof input.bucket === 'string' && typeof input.key === 'string'
    ? `s3://${input.bucket}/${input.key}`
    : undefined;
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    return asRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
