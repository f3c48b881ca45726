import { VERDICTS } from '../scan/contract';
import type { StackStatus, VerdictFigures } from './status-report';

/** `lambda-av status` for people: the report on one screen. */
export function renderStatus(status: StackStatus): string {
  const lines = [`lambda-av status${status.stack ? ` of stack ${status.stack}` : ''}`, ''];
  const d = status.definitions;
  lines.push(`Definitions  ${describeDefinitions(d)}`);
  const c = status.canary;
  lines.push(
    c.reported
      ? `Canary       ${c.detected ? 'detected' : 'NOT DETECTED'} at ${c.time}${c.latencyMs !== undefined ? `, slowest scan ${c.latencyMs} ms` : ''}`
      : `Canary       no report since ${c.since}`,
  );
  lines.push('', 'Scans               last hour                 last day');
  for (const verdict of VERDICTS) {
    const cell = (f: VerdictFigures) =>
      `${String(f.count).padStart(6)}${f.p50 !== undefined ? `  p50 ${f.p50} ms  p99 ${f.p99} ms` : ''}`.padEnd(
        26,
      );
    lines.push(
      `  ${verdict.padEnd(17)} ${cell(status.scans.lastHour[verdict])}${cell(status.scans.lastDay[verdict])}`.trimEnd(),
    );
  }
  lines.push('');
  if (status.alarms.length === 0) lines.push('Alarms       none in ALARM');
  else {
    lines.push(`Alarms       ${status.alarms.length} in ALARM:`);
    for (const alarm of status.alarms) {
      lines.push(
        `  ${alarm.name}${alarm.since ? ` since ${alarm.since}` : ''}${alarm.reason ? `: ${alarm.reason}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}

function describeDefinitions(d: StackStatus['definitions']): string {
  if (!d.published) return `NONE PUBLISHED (${d.reason})`;
  if (d.layout === 'manifest') return `${d.version}, built ${d.builtAt}, ${d.ageHours} h old`;
  const uploaded = d.uploadedAt ? `, newest uploaded ${d.uploadedAt}, ${d.ageHours} h old` : '';
  return `plain files ${d.files.join(', ')} (set ${d.version})${uploaded}`;
}
