import { VERDICTS, type Verdict } from '../scan/contract';
import type { DefinitionsReport, StackStatus, VerdictFigures } from './status-report';

/** The account column: 12 digits, or what stands in for an account on the scans lines. */
const ACCOUNT_WIDTH = 12;
const ALL_ACCOUNTS = 'all accounts';
const NO_ACCOUNT = 'no account';
const MIN_CELL_WIDTH = 26;

type Figures = Readonly<Record<Verdict, VerdictFigures>>;

/**
 * `lambda-av status` for people: the report on one screen. Every line names the account it is
 * about (so `grep ACCOUNT` keeps an account's lines): the definitions, the canary and the alarms
 * are the stack's own account's; each scans line the account owning the objects.
 */
export function renderStatus(status: StackStatus): string {
  const { account } = status;
  const lines = [
    `lambda-av status${status.stack ? ` of stack ${status.stack}` : ''} in account ${account}`,
    '',
  ];
  lines.push(`Definitions  ${status.definitions.account}  ${describeDefinitions(status.definitions)}`);
  const c = status.canary;
  lines.push(
    c.reported
      ? `Canary       ${c.account}  ${c.detected ? 'detected' : 'NOT DETECTED'} at ${c.time}${c.latencyMs !== undefined ? `, slowest scan ${c.latencyMs} ms` : ''}`
      : `Canary       ${c.account}  no report since ${c.since}`,
  );
  lines.push('', ...scansLines(status.scans), '');
  if (status.alarms.length === 0) lines.push(`Alarms       ${account}  none in ALARM`);
  else {
    lines.push(`Alarms       ${account}  ${status.alarms.length} in ALARM:`);
    for (const alarm of status.alarms) {
      lines.push(
        `  ${alarm.account}  ${alarm.name}${alarm.since ? ` since ${alarm.since}` : ''}${alarm.reason ? `: ${alarm.reason}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * One line per account and verdict; on a hub, then the scans no account's series holds, and the
 * totals of every account (what the alarms watch).
 */
function scansLines(scans: StackStatus['scans']): string[] {
  const rows: Array<{ label: string; verdict: Verdict; hour: string; day: string }> = [];
  const table = (label: string, hour: Figures, day: Figures) => {
    for (const verdict of VERDICTS)
      rows.push({ label, verdict, hour: cell(hour[verdict]), day: cell(day[verdict]) });
  };
  for (const entry of scans.byAccount) table(entry.account, entry.lastHour, entry.lastDay);
  const { withoutAccount } = scans;
  if (withoutAccount) table(NO_ACCOUNT, withoutAccount.lastHour, withoutAccount.lastDay);
  if (scans.byAccount.length > 1 || withoutAccount) table(ALL_ACCOUNTS, scans.lastHour, scans.lastDay);
  // The last hour's column is as wide as its widest cell, so the last day's starts under its head.
  const width = Math.max(MIN_CELL_WIDTH, ...rows.map((row) => row.hour.length + 2));
  return [
    `${'Scans'.padEnd(ACCOUNT_WIDTH + 22)}${'last hour'.padEnd(width)}last day`,
    ...rows.map(({ label, verdict, hour, day }) =>
      `  ${label.padEnd(ACCOUNT_WIDTH)}  ${verdict.padEnd(17)} ${hour.padEnd(width)}${day}`.trimEnd(),
    ),
  ];
}

function cell(f: VerdictFigures): string {
  return `${String(f.count).padStart(6)}${f.p50 !== undefined ? `  p50 ${f.p50} ms  p99 ${f.p99} ms` : ''}`;
}

function describeDefinitions(d: DefinitionsReport): string {
  if (!d.published) return `NONE PUBLISHED (${d.reason})`;
  if (d.layout === 'manifest') return `${d.version}, built ${d.builtAt}, ${d.ageHours} h old`;
  const uploaded = d.uploadedAt ? `, newest uploaded ${d.uploadedAt}, ${d.ageHours} h old` : '';
  return `plain files ${d.files.join(', ')} (set ${d.version})${uploaded}`;
}
